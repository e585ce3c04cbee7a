# Databricks notebook source
# ruff: noqa: F821 (dbutils is a global of Databricks notebooks)
# MAGIC %md
# MAGIC # Word count
# MAGIC Counts the words of the `text` parameter and returns the count as the notebook's result.

# COMMAND ----------

dbutils.widgets.text("text", "")
text = dbutils.widgets.get("text")

# COMMAND ----------

words = text.split()
print(f"{len(words)} words, {len(set(words))} distinct")
dbutils.notebook.exit(str(len(words)))
