package prefect_databricks.local.spark;

import java.util.Locale;
import java.util.Set;
import org.apache.spark.QueryContext;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.analysis.UnresolvedAttribute;
import org.apache.spark.sql.catalyst.analysis.UnresolvedIdentifier;
import org.apache.spark.sql.catalyst.analysis.UnresolvedNamespace;
import org.apache.spark.sql.catalyst.analysis.UnresolvedRelation;
import org.apache.spark.sql.catalyst.analysis.UnresolvedTable;
import org.apache.spark.sql.catalyst.analysis.UnresolvedTableOrView;
import org.apache.spark.sql.catalyst.analysis.UnresolvedView;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.catalyst.plans.logical.AppendData;
import org.apache.spark.sql.catalyst.plans.logical.InsertIntoStatement;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.execution.command.SetCatalogCommand;
import org.apache.spark.sql.types.DataTypes;
import scala.Function1;
import scala.Option;
import scala.collection.immutable.List$;
import scala.collection.immutable.Map$;
import scala.collection.immutable.Seq;
import scala.runtime.AbstractPartialFunction;

/**
 * Before Spark resolves names (the hint batch runs first): `main.s.t` / `hive_metastore.s.t` tables,
 * `main.s` namespaces and `USE CATALOG main` name `spark_catalog`; another unknown catalog fails clearly.
 */
final class CatalogAliasRule extends Rule<LogicalPlan> {
  private static final Set<Class<?>> TABLES = Set.of(
      UnresolvedRelation.class, UnresolvedIdentifier.class, UnresolvedTableOrView.class,
      UnresolvedTable.class, UnresolvedView.class);
  /** First parts of three-part names that are not catalogs: Spark's `system.builtin`/`system.session`. */
  private static final Set<String> NOT_CATALOGS = Set.of("system", "session", "builtin");

  private final transient SparkSession session;

  CatalogAliasRule(SparkSession session) {
    this.session = session;
  }

  @Override
  public LogicalPlan apply(LogicalPlan plan) {
    return plan.transformUpWithSubqueries(new AbstractPartialFunction<LogicalPlan, LogicalPlan>() {
      @Override
      public boolean isDefinedAt(LogicalPlan node) {
        return true;
      }

      @Override
      @SuppressWarnings("unchecked")
      public <A1 extends LogicalPlan, B1> B1 applyOrElse(A1 node, Function1<A1, B1> fallback) {
        return (B1) rewrite(withFieldsRewritten(node));
      }
    });
  }

  /** Plans held in fields rather than as children (the target of INSERT INTO, of writeTo) get the rule too. */
  private LogicalPlan withFieldsRewritten(LogicalPlan node) {
    Object[] arguments = null;
    for (int index = 0; index < node.productArity(); index++) {
      if (node.productElement(index) instanceof LogicalPlan field && !node.children().contains(field)) {
        LogicalPlan rewritten = apply(field);
        if (rewritten != field) {
          arguments = arguments == null ? arguments(node) : arguments;
          arguments[index] = rewritten;
        }
      }
    }
    return arguments == null ? node : node.makeCopy(arguments);
  }

  private LogicalPlan rewrite(LogicalPlan node) {
    if (node instanceof AppendData append && append.table() instanceof UnresolvedRelation table) {
      // [I] writeTo(...).append() on a session-catalog table: Spark refuses V2 appends to V1 tables
      // (all tables here are V1), so it is the INSERT INTO by name that it means.
      return new InsertIntoStatement(table, Map$.MODULE$.empty(), List$.MODULE$.empty(), append.query(), false,
          false, append.isByName(), Option.empty(), false);
    }
    if (node instanceof SetCatalogCommand command) {
      Expression name = command.catalogNameExpr();
      Object value = name.foldable() ? name.eval(null) : null;
      if (name instanceof UnresolvedAttribute attribute && attribute.nameParts().length() == 1) {
        value = attribute.nameParts().head();  // SET CATALOG main: the name, not a column
      }
      if (value != null && CatalogNames.isAlias(value.toString())) {
        return command.copy(Literal.create(CatalogNames.SESSION, DataTypes.StringType));
      }
      return node;
    }
    boolean table = TABLES.contains(node.getClass());
    if (!table && !(node instanceof UnresolvedNamespace)) {
      return node;
    }
    @SuppressWarnings("unchecked")
    Seq<String> parts = (Seq<String>) node.productElement(0);
    Seq<String> resolved = CatalogNames.resolve(parts, table ? 3 : 2);
    if (resolved == parts) {
      if (table && parts.length() >= 3) {
        refuseUnknown(parts.head());
      }
      return node;
    }
    Object[] arguments = arguments(node);
    arguments[0] = resolved;
    return node.makeCopy(arguments);
  }

  private static Object[] arguments(LogicalPlan node) {
    Object[] arguments = new Object[node.productArity()];
    for (int index = 0; index < arguments.length; index++) {
      arguments[index] = node.productElement(index);
    }
    return arguments;
  }

  private void refuseUnknown(String catalog) {
    if (NOT_CATALOGS.contains(catalog.toLowerCase(Locale.ROOT))
        || session.sessionState().catalogManager().isCatalogRegistered(catalog)) {
      return;
    }
    CatalogAliasRule.<RuntimeException>raise(new AnalysisException(CatalogNames.unknown(catalog), Option.empty(),
        Option.empty(), Option.empty(), Option.apply("CATALOG_NOT_FOUND"), Map$.MODULE$.<String, String>empty(),
        new QueryContext[0]));
  }

  /** Throws Spark's checked AnalysisException from Scala code, which declares no checked exceptions. */
  @SuppressWarnings("unchecked")
  private static <E extends Throwable> void raise(Throwable error) throws E {
    throw (E) error;
  }
}
