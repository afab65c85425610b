package io.discagent.service.cli;

import io.discagent.service.logging.LogFormat;
import io.discagent.service.logging.LogLevel;
import io.discagent.service.logging.LoggingSetup;

/**
 * The entry points of the Windows service. Apache Commons Daemon's procrun ({@code prunsrv.exe}, shipped as
 * {@code discagent-service.exe} by {@code packaging/windows/build-zip.sh}) runs it in {@code jvm} mode: it loads the JVM
 * into the service process, calls {@link #start} with the service's parameters ({@code serve --config ...}) on a
 * thread of its own, and when Windows stops the service calls {@link #stop} on another; {@link #start} returns once
 * the service has closed every session and released every drive. See docs/operations.md.
 */
public final class WindowsService {

    private WindowsService() {
    }

    /** Runs {@code discagent ARGS} (normally {@code serve ...}) until {@link #stop} is called. */
    public static void start(String[] args) {
        LoggingSetup.configure(LogLevel.INFO, LogFormat.TEXT); // serve sets its own
        int code = Main.execute(Main.commandLine(args.length > 0 ? args[0] : ""), System.getenv(), args);
        if (code != 0) {
            System.err.println("discagent: the service ended with exit code " + code);
        }
    }

    /** Stops what {@link #start} runs, as Ctrl-C would. */
    public static void stop(String[] args) {
        ServeCommand.stopRunning();
    }
}
