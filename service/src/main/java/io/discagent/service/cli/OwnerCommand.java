package io.discagent.service.cli;

import io.discagent.service.problem.ExitCode;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code discagent owner RID}: IMAPI2's ExclusiveAccessOwner. */
@Command(name = "owner", mixinStandardHelpOptions = true,
        description = "Print who holds a recorder (a client name, an external process, or 'free').")
final class OwnerCommand extends ClientCommand {

    @Parameters(paramLabel = "RECORDER", description = "The recorder id, such as sim-0.")
    String recorder;

    @Option(names = "--json", description = "Print the API's JSON.")
    boolean json;

    @Override
    int run(AgentClient client) {
        JsonObject body = client.call("GET", "/api/v1/recorders/" + segment(recorder) + "/owner", null);
        if (json) {
            out().println(body.encodePrettily());
        } else {
            String owner = body.getString("owner");
            out().println(owner == null ? "free" : owner + (body.getBoolean("external") ? " (outside the agent)"
                    : " (count " + body.getJsonObject("lock").getInteger("count") + ")"));
        }
        return ExitCode.OK.code();
    }
}
