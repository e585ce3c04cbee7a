package prefect_databricks.local.spark;

import org.apache.spark.sql.execution.datasources.parquet.ParquetFileFormat;

/**
 * The data source named `delta` here: Spark's parquet files under Delta's name, since Delta Lake's
 * jars cannot be had offline. Tables keep provider `delta`; Delta's own operations are not there.
 */
public final class DeltaStandIn extends ParquetFileFormat {
  private static final long serialVersionUID = 1L;

  @Override
  public String shortName() {
    return "delta";
  }

  @Override
  public String toString() {
    return "Delta (stood in by Parquet)";
  }
}
