# Databricks notebook source
# MAGIC %md
# MAGIC # Score one region
# MAGIC Run once per element of the for-each task's inputs (a market name, given as {{input}}).

# COMMAND ----------

dbutils.widgets.text("market", "")
market = dbutils.widgets.get("market")
score = sum(ord(c) for c in market) % 100
dbutils.notebook.exit(f"{market}: score {score}")
