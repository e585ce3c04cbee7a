"""Job runs as documents: create, get/list/cancel/delete, repair, output, admission, DAG, references."""
