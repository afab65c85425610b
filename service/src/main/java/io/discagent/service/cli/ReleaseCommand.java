package io.discagent.service.cli;

import io.discagent.service.problem.ExitCode;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code discagent release RID --session SID --session-token T}: one count less for a session. */
@Command(name = "release", mixinStandardHelpOptions = true,
        description = "Release one count of a session's lock (the session and its token come from whoever opened it).")
final class ReleaseCommand extends ClientCommand {

    @Parameters(paramLabel = "RECORDER", description = "The recorder id.")
    String recorder;

    @Option(names = "--session", required = true, description = "The session id.")
    String session;

    @Option(names = "--session-token", required = true, defaultValue = "${env:DISCAGENT_SESSION_TOKEN}",
            description = "The session's token (env DISCAGENT_SESSION_TOKEN).")
    String token;

    @Override
    int run(AgentClient client) {
        JsonObject result = client.call("POST", "/api/v1/recorders/" + segment(recorder) + "/release",
                new JsonObject().put("sessionId", session), "X-Session-Token", token);
        out().println("released " + recorder + "; lock count now " + result.getInteger("lockCount"));
        return ExitCode.OK.code();
    }
}
