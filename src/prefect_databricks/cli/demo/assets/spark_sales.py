# Databricks notebook source
# The demo's Spark step: ingest rows into a table, aggregate them with SQL, read the result back.
rows = [("emea", 120), ("amer", 200), ("emea", 95), ("apac", 50), ("amer", 30)]
spark.createDataFrame(rows, "region STRING, amount INT").write.mode("overwrite").saveAsTable("default.demo_sales")

# COMMAND ----------

# MAGIC %sql
# MAGIC SELECT region, SUM(amount) AS total FROM default.demo_sales GROUP BY region ORDER BY total DESC, region

# COMMAND ----------

top = _sqldf.first()
count = spark.table("default.demo_sales").count()
dbutils.notebook.exit(f"{count} rows in default.demo_sales; top region {top['region']}: {top['total']}")
