package io.discagent.service;

import io.discagent.service.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * The outcome of one {@code discagent} command run inside the test's JVM ({@link CliProcess} runs one in a process of
 * its own): its exit code and what it printed.
 *
 * @param exitCode the exit code
 * @param out its standard output
 * @param err its standard error
 */
public record CliRun(int exitCode, String out, String err) {

    /** Runs {@code discagent ARGS}. */
    public static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }

    /** Runs a client command against {@code url}: {@code discagent ARGS --url=URL}. */
    public static CliRun against(String url, String... args) {
        String[] all = java.util.Arrays.copyOf(args, args.length + 1);
        all[args.length] = "--url=" + url;
        return of(all);
    }
}
