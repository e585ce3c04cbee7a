package prefect_databricks.local.spark;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Locale;

import org.apache.thrift.transport.TServerSocket;
import org.apache.thrift.transport.TSocket;
import org.apache.thrift.transport.TTransportException;

/**
 * A loopback Thrift server socket that keeps only the connections of this JVM's own user.
 *
 * <p>Hive 2.3's metastore has no credential but Kerberos, and any process on the machine reaches
 * 127.0.0.1; the owner of the client's socket is read from Linux's {@code /proc/net/tcp} (and {@code tcp6}),
 * and a connection from another user's process is closed before a byte is read. Where {@code /proc} cannot
 * be read, the socket is refused too.
 */
final class SameUserServerSocket extends TServerSocket {
    private static final Path[] TABLES = {Paths.get("/proc/net/tcp"), Paths.get("/proc/net/tcp6")};
    private static final String ESTABLISHED = "01";
    private final String uid;

    SameUserServerSocket(ServerSocket socket) throws TTransportException {
        super(socket);
        try {
            this.uid = String.valueOf(Files.getAttribute(Paths.get("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException error) {
            throw new TTransportException("cannot read this process's user id: " + error);
        }
    }

    /** The next connection made by a process of this JVM's user; others are closed and logged. */
    @Override
    public TSocket accept() throws TTransportException {
        while (true) {
            TSocket client = super.accept();
            if (uid.equals(ownerOf(client.getSocket()))) {
                return client;
            }
            System.err.println("workspace metastore: closed a connection from another user's process");
            client.close();
        }
    }

    /** The uid owning the peer's end of `socket` (its local port is our remote port), or null. */
    private static String ownerOf(Socket socket) {
        String peerPort = String.format(Locale.ROOT, ":%04X", socket.getPort());
        String ourPort = String.format(Locale.ROOT, ":%04X", socket.getLocalPort());
        for (Path table : TABLES) {
            List<String> lines;
            try {
                lines = Files.readAllLines(table);
            } catch (IOException error) {
                continue;
            }
            for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length > 7 && fields[1].endsWith(peerPort) && fields[2].endsWith(ourPort)
                        && ESTABLISHED.equals(fields[3])) {
                    return fields[7];
                }
            }
        }
        return null;
    }
}
