package io.discagent.agent.backend.linux;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A QEMU Machine Protocol client over the VM's unix socket: the "person" who presses eject, swaps discs and pulls
 * the cable. One command at a time; asynchronous events met while waiting for a reply are kept.
 */
final class QmpClient implements AutoCloseable {

    private final SocketChannel channel;
    private final BufferedReader in;
    private final OutputStream out;
    private final List<Map<String, Object>> events = new ArrayList<>();

    private QmpClient(SocketChannel channel) throws IOException {
        this.channel = channel;
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        this.out = Channels.newOutputStream(channel);
        read(); // the greeting
        execute("qmp_capabilities", null);
    }

    /** Connects, retrying while QEMU has not created the socket yet (at most {@code limit}). */
    static QmpClient connect(Path socket, Duration limit) {
        IOException last = null;
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    channel.connect(UnixDomainSocketAddress.of(socket));
                    return new QmpClient(channel);
                } catch (IOException e) {
                    channel.close();
                    throw e;
                }
            } catch (IOException e) {
                last = e;
                Shell.await(Duration.ofMillis(100), () -> Files.exists(socket)); // QEMU is still starting
            }
        }
        throw new UncheckedIOException("no QMP on " + socket + " within " + limit, last);
    }

    /**
     * Runs a command.
     *
     * @param arguments the JSON object of arguments, or null
     * @return the reply: {@code {"return": ...}} or {@code {"error": {"class", "desc"}}}
     */
    Map<String, Object> execute(String command, String arguments) {
        String line = "{\"execute\":" + MiniJson.quote(command) + (arguments == null ? "" : ",\"arguments\":"
                + arguments) + "}\n";
        try {
            out.write(line.getBytes(StandardCharsets.UTF_8));
            out.flush();
            while (true) {
                Map<String, Object> reply = read();
                if (reply.containsKey("event")) {
                    events.add(reply);
                } else {
                    return reply;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("QMP " + command, e);
        }
    }

    /** The events seen so far ({@code DEVICE_TRAY_MOVED}, {@code DEVICE_DELETED}, ...). */
    List<Map<String, Object>> events() {
        return events;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> read() throws IOException {
        String line = in.readLine();
        if (line == null) {
            throw new IOException("QMP connection closed");
        }
        return (Map<String, Object>) MiniJson.parse(line);
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
