package io.discagent.service.cli;

import picocli.CommandLine.Option;

/** Where the agent is, and the access token: shared by the client commands. */
final class ClientOptions {

    @Option(names = "--url", defaultValue = "http://127.0.0.1:8731",
            description = {"The agent's base URL (env DISCAGENT_URL); default:", "${DEFAULT-VALUE}"})
    String url;

    @Option(names = "--access-token",
            description = "The access token, if the agent has one (env DISCAGENT_ACCESS_TOKEN).")
    String accessToken;

    @Option(names = "--config", paramLabel = "FILE", description = "The configuration file, for url= and "
            + "access-token= (default: $DISCAGENT_CONFIG, else " + ConfigDefaults.LINUX_FILE + " when it exists).")
    String config;

    AgentClient client() {
        return new AgentClient(url, accessToken);
    }
}
