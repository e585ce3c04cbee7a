"""Python file task: summarises the run from its command-line arguments."""

import argparse

parser = argparse.ArgumentParser()
parser.add_argument("--orders", type=int, required=True)
parser.add_argument("--total", type=int, required=True)
args = parser.parse_args()
print(f"report: {args.orders} orders, average {args.total / args.orders:.2f}")
