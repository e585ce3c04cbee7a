# Databricks notebook source
# MAGIC %md
# MAGIC # Small batch
# MAGIC Runs only when the condition task finds too few orders to report on.

# COMMAND ----------

dbutils.notebook.exit("batch too small to report on")
