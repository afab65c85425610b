package io.discagent.service.cli;

import io.discagent.service.problem.ExitCode;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code discagent list}: every recorder and who holds it. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "List the recorders and their lock state.")
final class ListCommand extends ClientCommand {

    @Option(names = "--json", description = "Print the API's JSON.")
    boolean json;

    @Override
    int run(AgentClient client) {
        JsonObject body = client.call("GET", "/api/v1/recorders", null);
        if (json) {
            out().println(body.encodePrettily());
            return ExitCode.OK.code();
        }
        out().printf("%-16s %-8s %-28s %5s  %s%n", "ID", "STATE", "OWNER", "COUNT", "NAME");
        for (Object item : body.getJsonArray("recorders")) {
            JsonObject recorder = (JsonObject) item;
            JsonObject lock = recorder.getJsonObject("lock");
            String owner = lock.getString("owner");
            out().printf("%-16s %-8s %-28s %5d  %s%n", recorder.getString("id"), lock.getString("state"),
                    owner == null ? "-" : owner, lock.getInteger("count"), recorder.getString("displayName"));
        }
        return ExitCode.OK.code();
    }
}
