# Databricks notebook source
# MAGIC %md
# MAGIC # Ingest
# MAGIC Reads a (generated) batch of orders and publishes how many there were as a task value.

# COMMAND ----------

dbutils.widgets.text("region", "emea")
dbutils.widgets.text("orders", "12")
region = dbutils.widgets.get("region")
orders = int(dbutils.widgets.get("orders"))

# COMMAND ----------

batch = [{"order": i, "region": region, "amount": 10 + 7 * i % 13} for i in range(orders)]
total = sum(row["amount"] for row in batch)
print(f"ingested {len(batch)} orders from {region}, total {total}")
dbutils.jobs.taskValues.set(key="order_count", value=len(batch))
dbutils.jobs.taskValues.set(key="total", value=total)
dbutils.notebook.exit(f"{len(batch)} orders from {region}")
