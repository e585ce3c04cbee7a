package prefect_databricks.local.spark;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.TableIdentifier;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.parser.ParameterContext;
import org.apache.spark.sql.catalyst.parser.ParseException;
import org.apache.spark.sql.catalyst.parser.ParserInterface;
import org.apache.spark.sql.catalyst.parser.SqlStatementSplitResult;
import org.apache.spark.sql.catalyst.parser.TemporalIdentifier;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import scala.Option;
import scala.collection.immutable.Seq;

/**
 * Spark's parser, with `main.`/`hive_metastore.` table names (as the DataFrame API hands them over:
 * `saveAsTable`, `writeTo`, `insertInto`, `spark.catalog`) parsed as `spark_catalog.` names.
 */
final class CatalogAliasParser implements ParserInterface {
  private static final Pattern USE_CATALOG =
      Pattern.compile("\\s*USE\\s+CATALOG\\s+([^\\s;]+)\\s*;?\\s*", Pattern.CASE_INSENSITIVE);

  private final ParserInterface delegate;

  CatalogAliasParser(ParserInterface delegate) {
    this.delegate = delegate;
  }

  @Override
  public Seq<String> parseMultipartIdentifier(String text) throws ParseException {
    return CatalogNames.resolve(delegate.parseMultipartIdentifier(text), 3);
  }

  @Override
  public TableIdentifier parseTableIdentifier(String text) throws ParseException {
    TableIdentifier parsed = delegate.parseTableIdentifier(text);
    if (parsed.catalog().isDefined() && CatalogNames.isAlias(parsed.catalog().get())) {
      return parsed.copy(parsed.table(), parsed.database(), Option.apply(CatalogNames.SESSION));
    }
    return parsed;
  }

  /** Spark's plan; Databricks' `USE CATALOG c` (not in Spark's grammar) is parsed as Spark's `SET CATALOG c`. */
  @Override
  public LogicalPlan parsePlan(String text) throws ParseException {
    return delegate.parsePlan(spark(text));
  }

  private static String spark(String text) {
    Matcher use = USE_CATALOG.matcher(text);
    return use.matches() ? "SET CATALOG " + use.group(1) : text;
  }

  @Override
  public LogicalPlan parsePlanWithParameters(String text, ParameterContext parameters) throws ParseException {
    return delegate.parsePlanWithParameters(spark(text), parameters);
  }

  @Override
  public Expression parseExpression(String text) throws ParseException {
    return delegate.parseExpression(text);
  }

  @Override
  public FunctionIdentifier parseFunctionIdentifier(String text) throws ParseException {
    return delegate.parseFunctionIdentifier(text);
  }

  @Override
  public TemporalIdentifier parseTemporalTableIdentifier(String text) throws ParseException {
    return delegate.parseTemporalTableIdentifier(text);
  }

  @Override
  public LogicalPlan parseQuery(String text) throws ParseException {
    return delegate.parseQuery(text);
  }

  @Override
  public StructType parseRoutineParam(String text) throws ParseException {
    return delegate.parseRoutineParam(text);
  }

  @Override
  public SqlStatementSplitResult splitStatements(String text) {
    return delegate.splitStatements(text);
  }

  @Override
  public StructType parseTableSchema(String text) throws ParseException {
    return delegate.parseTableSchema(text);
  }

  @Override
  public DataType parseDataType(String text) throws ParseException {
    return delegate.parseDataType(text);
  }
}
