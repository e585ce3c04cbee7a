package prefect_databricks.local.spark;

import java.util.Locale;
import java.util.Set;
import scala.collection.immutable.Seq;

/**
 * Databricks' catalog names for the workspace's one metastore: `main` (Unity Catalog's default
 * catalog) and `hive_metastore` (the legacy metastore) both stand for Spark's `spark_catalog`.
 */
final class CatalogNames {
  static final String SESSION = "spark_catalog";
  static final Set<String> ALIASES = Set.of("main", "hive_metastore");

  private CatalogNames() {}

  /** Whether `name` is one of the aliases (catalog names are case-insensitive, as in Spark). */
  static boolean isAlias(String name) {
    return ALIASES.contains(name.toLowerCase(Locale.ROOT));
  }

  /** `parts` with an alias in front (and at least `minimum` parts) named `spark_catalog`, else `parts`. */
  static Seq<String> resolve(Seq<String> parts, int minimum) {
    if (parts.length() >= minimum && isAlias(parts.head())) {
      @SuppressWarnings("unchecked")
      Seq<String> renamed = (Seq<String>) (Object) parts.updated(0, SESSION);
      return renamed;
    }
    return parts;
  }

  /** The clear answer for a three-part name whose catalog is not there: the catalogs that are. */
  static String unknown(String catalog) {
    return "[CATALOG_NOT_FOUND] The catalog `" + catalog + "` is not in the local workspace: its catalogs "
        + "are main, hive_metastore and spark_catalog, three names of its one Hive metastore.";
  }
}
