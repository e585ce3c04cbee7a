package prefect_databricks.local.spark;

import java.io.File;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.apache.hadoop.hive.conf.HiveConf;
import org.apache.hadoop.hive.metastore.HiveMetaStore;
import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.server.TServer;
import org.apache.thrift.server.TThreadPoolServer;
import org.apache.thrift.transport.TServerSocket;

/**
 * The workspace's Hive metastore, served over Thrift on 127.0.0.1 only, then the Spark Connect server.
 *
 * <p>Hive 2.3's own {@code HiveMetaStore.startMetaStore} binds every interface, so the handler is served
 * here on a loopback socket. One JVM owns the embedded Derby database; the Connect server's Spark and
 * every JAR task reach it as {@code thrift://127.0.0.1:PORT}. Settings come as Spark conf (spark-submit
 * makes them system properties): {@code spark.prefect_databricks.metastore.port}, {@code
 * spark.prefect_databricks.metastore.db} (Derby's directory) and {@code spark.sql.warehouse.dir}.
 */
public final class WorkspaceMetastore {
    static final String PORT = "spark.prefect_databricks.metastore.port";
    static final String DATABASE = "spark.prefect_databricks.metastore.db";
    static final String WAREHOUSE = "spark.sql.warehouse.dir";
    private static final int MAX_WORKERS = 64;

    private WorkspaceMetastore() {
    }

    /** Bind the metastore's socket, serve it from a daemon thread, then run the Connect server here. */
    public static void main(String[] args) throws Exception {
        ServerSocket socket = new ServerSocket(
                Integer.parseInt(required(PORT)), 128, InetAddress.getLoopbackAddress());
        Thread serving = new Thread(() -> serve(socket), "workspace-metastore");
        serving.setDaemon(true);
        serving.start();
        org.apache.spark.sql.connect.service.SparkConnectServer.main(args);
    }

    /** Open the handler (Derby, schema created on first use) and answer clients; any failure ends the JVM. */
    private static void serve(ServerSocket socket) {
        try {
            ThriftHiveMetastore.Iface handler = HiveMetaStore.newRetryingHMSHandler(
                    "workspace-metastore", conf(), false);
            ExecutorService workers = Executors.newFixedThreadPool(MAX_WORKERS, task -> {
                Thread thread = new Thread(task, "workspace-metastore-worker");
                thread.setDaemon(true);
                return thread;
            });
            TServer server = new TThreadPoolServer(new TThreadPoolServer.Args(new TServerSocket(socket))
                    .processor(new ThriftHiveMetastore.Processor<>(handler))
                    .protocolFactory(new TBinaryProtocol.Factory())
                    .executorService(workers));
            server.serve();
        } catch (Throwable error) {
            error.printStackTrace();
        }
        System.err.println("The workspace metastore stopped serving; the server exits");
        Runtime.getRuntime().halt(1);
    }

    /** An embedded-Derby metastore configuration as Spark's own local metastore has it. */
    private static HiveConf conf() {
        HiveConf conf = new HiveConf();
        String database = new File(required(DATABASE)).getAbsolutePath();
        conf.set("javax.jdo.option.ConnectionURL", "jdbc:derby:;databaseName=" + database + ";create=true");
        conf.set("javax.jdo.option.ConnectionDriverName", "org.apache.derby.jdbc.EmbeddedDriver");
        conf.set("hive.metastore.uris", "");
        conf.set("hive.metastore.warehouse.dir", required(WAREHOUSE));
        conf.set("hive.metastore.schema.verification", "false");
        conf.set("datanucleus.schema.autoCreateAll", "true");
        conf.set("datanucleus.connectionPoolingType", "DBCP");
        return conf;
    }

    private static String required(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(name + " is not set");
        }
        return value;
    }
}
