package io.discagent.service.cli;

import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Reads the service's Server-Sent Events ({@code /api/v1/events}) as the CLI needs them: one call per event with its
 * type ({@code lock-transition}, {@code recorder-removed}, ..., or the stream's own {@code reset} and {@code end}) and
 * its JSON data. Used by {@code watch}, and by a {@link ServiceHold} that watches its recorder.
 */
final class EventStream {

    /** What to do with one event. */
    @FunctionalInterface
    interface Listener {
        /** Handles an event; returns false to stop reading. */
        boolean onEvent(@Nullable String type, String data);
    }

    private EventStream() {
    }

    /** The stream's path for these recorders (all of them when the list is empty). */
    static String path(List<String> recorders) {
        StringBuilder path = new StringBuilder("/api/v1/events");
        for (int i = 0; i < recorders.size(); i++) {
            path.append(i == 0 ? '?' : '&').append("recorder=").append(AgentClient.encode(recorders.get(i)));
        }
        return path.toString();
    }

    /**
     * Reads events from {@code lines} until the listener says stop (returns true) or the stream ends (false).
     * Comments (keep-alives) and ids are skipped.
     */
    static boolean read(Stream<String> lines, Listener listener) {
        String type = null;
        StringBuilder data = new StringBuilder();
        Iterator<String> it = lines.iterator();
        while (it.hasNext()) {
            String line = it.next();
            if (line.isEmpty()) {
                if (data.length() > 0 && !listener.onEvent(type, data.toString())) {
                    return true;
                }
                type = null;
                data.setLength(0);
            } else if (line.startsWith("event:")) {
                type = line.substring(6).trim();
            } else if (line.startsWith("data:")) {
                data.append(line.substring(5).trim());
            }
        }
        return false;
    }
}
