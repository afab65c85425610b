package io.discagent.service.cli;

import io.discagent.service.problem.ExitCode;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code discagent watch}: the live event stream, readable or as JSON lines. */
@Command(name = "watch", mixinStandardHelpOptions = true,
        description = "Print the live event stream (the current state first), until Ctrl-C.")
final class WatchCommand extends ClientCommand {

    @Option(names = "--recorder", description = "Only this recorder (repeatable); it must exist (watch without "
            + "--recorder to see recorders arrive).")
    List<String> recorders = new ArrayList<>();

    @Option(names = "--json", description = "One JSON event per line, for scripts.")
    boolean json;

    @Option(names = "--count", description = "Stop after this many events.")
    Integer count;

    @Option(names = "--fleet", description = "The changes of every node of the fleet the service is in (node/id), "
            + "each with its node's sequence: the fleet view first.")
    boolean fleet;

    @Override
    int run(AgentClient client) {
        if (fleet && !recorders.isEmpty()) {
            throw new AgentClient.Failure(ExitCode.USAGE.code(),
                    "--fleet shows every recorder of the fleet: it takes no --recorder");
        }
        for (String id : recorders) {
            // the stream accepts ids that are not there (their events come if they arrive): a typo would wait forever
            client.call("GET", "/api/v1/recorders/" + segment(id), null);
        }
        int[] printed = {0};
        try (Stream<String> lines = client.lines(fleet ? "/api/v1/fleet/events" : EventStream.path(recorders))) {
            boolean stopped = EventStream.read(lines, (type, data) -> !(print(type, data) && count != null
                    && ++printed[0] >= count));
            if (stopped) {
                return ExitCode.OK.code();
            }
        }
        err().println("discagent: the event stream ended");
        return ExitCode.UNREACHABLE.code();
    }

    /** Prints one event; returns whether it counted as an event. */
    private boolean print(String type, String data) {
        if ("end".equals(type) || "reset".equals(type)) {
            if (!json) {
                out().println("-- " + type + ": " + new JsonObject(data).getString("reason", ""));
                out().flush();
            }
            return false;
        }
        if (json) {
            out().println(data);
        } else if (fleet) {
            out().print(fleetReadable(new JsonObject(data)));
        } else {
            out().println(readable(new JsonObject(data)));
        }
        out().flush();
        return true;
    }

    static String readable(JsonObject e) {
        String head = String.format("%-24s #%-5d %-10s ", e.getString("at"), e.getLong("sequence"),
                e.getString("recorder"));
        switch (e.getString("type")) {
            case "lock-transition":
                if ("SNAPSHOT".equals(e.getString("cause"))) {
                    return head + String.format("%-15s %s", "now", lock(e.getJsonObject("to")));
                }
                return head + String.format("%-15s %s -> %s", e.getString("cause"), lock(e.getJsonObject("from")),
                        lock(e.getJsonObject("to")));
            case "recorder-arrived":
                return head + "arrived: " + e.getJsonObject("info").getString("displayName");
            case "recorder-removed":
                return head + "removed" + (e.getString("lastOwner") == null ? ""
                        : " (was held by '" + e.getString("lastOwner") + "')");
            case "media-changed":
                return head + "media: " + e.getString("media");
            case "tray-unlocked":
                return head + (e.getBoolean("trayOpened", false) ? "tray opened" : "tray unlocked")
                        + " by " + (e.getString("culprit") == null ? "another process" : e.getString("culprit"))
                        + (e.getBoolean("relocked", false) ? "; locked again" : "; NOT locked again");
            case "eject-requested":
                return head + "eject button pressed" + (e.getString("holder") == null ? ""
                        : " (held by '" + e.getString("holder") + "')");
            case "acquire-timed-out":
                return head + "'" + e.getString("clientName") + "' gave up after " + e.getLong("waitedMillis")
                        + " ms" + (e.getString("owner") == null ? "" : " (held by '" + e.getString("owner") + "')");
            default:
                return head + e.getString("command") + " did not return within " + e.getLong("timeoutMillis") + " ms";
        }
    }

    /** A fleet event, one line per recorder it names (a snapshot names every recorder of the fleet). */
    static String fleetReadable(JsonObject e) {
        String type = e.getString("type");
        if ("snapshot".equals(type)) {
            StringBuilder lines = new StringBuilder();
            for (Object item : e.getJsonObject("view").getJsonArray("recorders")) {
                JsonObject r = (JsonObject) item;
                lines.append(String.format("%-16s %-24s %-11s %s%n", r.getString("node"), r.getString("id"),
                        "now", r.getBoolean("reachable", true) ? lock(r.getJsonObject("lock"))
                                : "unreachable; last " + lock(r.getJsonObject("lock"))));
            }
            return lines.toString();
        }
        String head = String.format("%-16s ", e.getString("node") + " #" + e.getLong("sequence"));
        JsonObject recorder = e.getJsonObject("recorder");
        String id = recorder == null ? "" : e.getString("node") + "/" + recorder.getString("id");
        return head + switch (type) {
            case "lock" -> String.format("%-24s %-11s %s", id, "lock", lock(recorder.getJsonObject("lock")));
            case "media" -> String.format("%-24s %-11s %s", id, "media", recorder.getValue("media") == null
                    ? "none" : "read");
            case "arrived", "removed" -> String.format("%-24s %s", id, type);
            default -> String.format("%-24s %-11s %s", "(the node)", type, e.getString("reason", ""));
        } + System.lineSeparator();
    }

    private static String lock(JsonObject lock) {
        return switch (lock.getString("state")) {
            case "held" -> "held by '" + lock.getString("owner") + "' (" + lock.getInteger("count") + ")";
            case "external" -> "held outside the agent by '" + lock.getString("owner") + "'";
            default -> "free";
        };
    }
}
