"""One Spark Connect server per workspace (as serverless compute is), started when a task first asks.

It needs the `spark` extra (pyspark with its Connect client). Everything binds to loopback; the Hive
metastore (Derby) and the table warehouse live in the data dir, so tables survive a restart.
"""
