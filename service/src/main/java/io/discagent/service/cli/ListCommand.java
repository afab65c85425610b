package io.discagent.service.cli;

import io.discagent.service.problem.ExitCode;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code discagent list}: every recorder and who holds it; with {@code --fleet}, every recorder of the fleet. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "List the recorders and their lock state.")
final class ListCommand extends ClientCommand {

    @Option(names = "--json", description = "Print the API's JSON.")
    boolean json;

    @Option(names = "--fleet", description = "Every recorder of every node of the fleet the service is in (node/id), "
            + "with its node's reachability.")
    boolean fleet;

    @Override
    int run(AgentClient client) {
        JsonObject body = client.call("GET", fleet ? "/api/v1/fleet/recorders" : "/api/v1/recorders", null);
        if (json) {
            out().println(body.encodePrettily());
            return ExitCode.OK.code();
        }
        String format = fleet ? "%-24s %-11s %-8s %-28s %5s  %s%n" : "%-16s %-8s %-28s %5s  %s%n";
        if (fleet) {
            out().printf(format, "ID", "NODE", "STATE", "OWNER", "COUNT", "NAME");
        } else {
            out().printf(format, "ID", "STATE", "OWNER", "COUNT", "NAME");
        }
        for (Object item : body.getJsonArray("recorders")) {
            JsonObject recorder = (JsonObject) item;
            JsonObject lock = recorder.getJsonObject("lock");
            String owner = lock.getString("owner");
            String state = lock.getString("state");
            if (fleet) {
                out().printf(format, recorder.getString("id"), recorder.getString("node"),
                        recorder.getBoolean("reachable") ? state : "unreachable", owner == null ? "-" : owner,
                        lock.getInteger("count"), recorder.getString("displayName"));
            } else {
                out().printf(format, recorder.getString("id"), state, owner == null ? "-" : owner,
                        lock.getInteger("count"), recorder.getString("displayName"));
            }
        }
        return ExitCode.OK.code();
    }
}
