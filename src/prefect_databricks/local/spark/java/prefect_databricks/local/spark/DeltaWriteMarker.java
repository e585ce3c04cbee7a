package prefect_databricks.local.spark;

import java.util.LinkedHashSet;
import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.catalog.CatalogTable;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.execution.command.CreateDataSourceTableAsSelectCommand;
import org.apache.spark.sql.execution.command.CreateDataSourceTableCommand;
import org.apache.spark.sql.execution.datasources.InsertIntoHadoopFsRelationCommand;
import scala.Option;
import scala.runtime.AbstractFunction1;
import scala.runtime.BoxedUnit;

/**
 * After analysis: names every `delta` table a plan creates or writes in the session's conf
 * (`spark.prefect_databricks.delta_stand_in`), so the task can warn that it is parquet underneath; a JVM
 * task, which has no client to ask, prints the warning given as `spark.prefect_databricks.delta_notice`.
 */
final class DeltaWriteMarker extends AbstractFunction1<LogicalPlan, BoxedUnit> {
  static final String KEY = "spark.prefect_databricks.delta_stand_in";
  /** Set for JVM tasks, which have no client to ask: a warning printed on stderr, %s the new tables. */
  static final String NOTICE = "spark.prefect_databricks.delta_notice";

  private final SparkSession session;

  DeltaWriteMarker(SparkSession session) {
    this.session = session;
  }

  @Override
  public BoxedUnit apply(LogicalPlan plan) {
    Set<String> tables = new LinkedHashSet<>();
    plan.foreach(new AbstractFunction1<LogicalPlan, BoxedUnit>() {
      @Override
      public BoxedUnit apply(LogicalPlan node) {
        if (node instanceof CreateDataSourceTableCommand create) {
          add(tables, create.table());
        } else if (node instanceof CreateDataSourceTableAsSelectCommand select) {
          add(tables, select.table());
        } else if (node instanceof InsertIntoHadoopFsRelationCommand insert
            && insert.fileFormat() instanceof DeltaStandIn) {
          Option<CatalogTable> table = insert.catalogTable();
          String path = insert.outputPath().toUri().getPath();
          if (table.isDefined()) {
            tables.add(table.get().identifier().unquotedString());
          } else if (!path.startsWith(warehouse())) {
            tables.add(path);  // save(path); a table's own write (CTAS) is named by its table
          }
        }
        return BoxedUnit.UNIT;
      }
    });
    if (!tables.isEmpty()) {
      String before = session.conf().get(KEY, "");
      Set<String> fresh = new LinkedHashSet<>(tables);
      for (String name : before.isEmpty() ? new String[0] : before.split(",")) {
        fresh.remove(name);
        tables.add(name);
      }
      session.conf().set(KEY, String.join(",", tables));
      String notice = session.conf().get(NOTICE, "");
      if (!notice.isEmpty() && !fresh.isEmpty()) {
        System.err.println(notice.replace("%s", String.join(", ", fresh)));
      }
    }
    return BoxedUnit.UNIT;
  }

  private String warehouse() {
    return new org.apache.hadoop.fs.Path(session.conf().get("spark.sql.warehouse.dir")).toUri().getPath();
  }

  private static void add(Set<String> tables, CatalogTable table) {
    if (table.provider().isDefined() && "delta".equalsIgnoreCase(table.provider().get())) {
      tables.add(table.identifier().unquotedString());
    }
  }
}
