package io.discagent.service.cli;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A command that talks to a running agent: failures are printed and become their exit codes. */
abstract class ClientCommand implements Callable<Integer> {

    @Mixin
    ClientOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public final Integer call() {
        AgentClient client = options.client().words(apiWords());
        try {
            return run(client);
        } catch (AgentClient.Failure failure) {
            err().println("discagent: " + client.withKnownRecorders(failure).getMessage());
            return failure.exitCode;
        }
    }

    /** Does the work; returns the exit code. */
    abstract int run(AgentClient client);

    /** This command's options for the API's fields it sends, so that the service's messages name the options. */
    Map<String, String> apiWords() {
        return Map.of();
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    static String segment(String id) {
        return AgentClient.encode(id);
    }
}
