package io.discagent.service.cli;

import picocli.CommandLine.Option;

/** Where the agent is, and the access token: shared by the client commands. */
final class ClientOptions {

    @Option(names = "--url", defaultValue = "${env:DISCAGENT_URL:-http://127.0.0.1:8731}",
            description = {"The agent's base URL (env DISCAGENT_URL); default:", "${DEFAULT-VALUE}"})
    String url;

    @Option(names = "--access-token", defaultValue = "${env:DISCAGENT_ACCESS_TOKEN}",
            description = "The access token, if the agent has one (env DISCAGENT_ACCESS_TOKEN).")
    String accessToken;

    AgentClient client() {
        return new AgentClient(url, accessToken);
    }
}
