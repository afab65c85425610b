package io.discagent.service.logging;

import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * Where the process's log goes: standard error, one record a line ({@link LogFormat}), from the level chosen
 * ({@link LogLevel}) up. java.util.logging is the one backend: the code logs through {@code System.Logger}, and
 * Vert.x, Netty and Reactor fall back to java.util.logging when no SLF4J binding is on the class path (none is), so a
 * formatter of its own catches every line without a logging framework in the jar.
 *
 * <p>DEBUG and TRACE apply to discagent's own loggers ({@code io.discagent}); the libraries stay at INFO (their debug
 * output is their internals). The access log ({@value #ACCESS_LOGGER}) is written whenever it is on, whatever the
 * level.
 */
public final class LoggingSetup {

    /** The logger of the HTTP access log. */
    public static final String ACCESS_LOGGER = "io.discagent.service.access";

    private static final String OWN_LOGGERS = "io.discagent";
    /** Held, so that the levels set here stay (java.util.logging keeps loggers weakly). */
    private static final Logger OWN = Logger.getLogger(OWN_LOGGERS);
    private static final Logger ACCESS = Logger.getLogger(ACCESS_LOGGER);
    private static volatile Level threshold = Level.INFO;

    private LoggingSetup() {
    }

    /** Sends every record of this process at {@code level} and above to standard error in {@code format}. */
    public static synchronized void configure(LogLevel level, LogFormat format) {
        Logger root = LogManager.getLogManager().getLogger("");
        for (Handler handler : root.getHandlers()) {
            root.removeHandler(handler);
        }
        root.addHandler(handler(format, level.level()));
        boolean verbose = level.level().intValue() < Level.INFO.intValue();
        root.setLevel(verbose ? Level.INFO : level.level());
        OWN.setLevel(level.level());
        threshold = level.level();

        for (Handler handler : ACCESS.getHandlers()) {
            ACCESS.removeHandler(handler);
        }
        ACCESS.setUseParentHandlers(false);
        ACCESS.addHandler(handler(format, Level.INFO));
        ACCESS.setLevel(Level.INFO);
    }

    /** Whether records below INFO are written (stack traces of warnings are, then). */
    static boolean isInfoOrAbove() {
        return threshold.intValue() >= Level.INFO.intValue();
    }

    private static Handler handler(LogFormat format, Level level) {
        ConsoleHandler handler = new ConsoleHandler(); // standard error, flushed after every record
        handler.setFormatter(format.formatter());
        handler.setLevel(level);
        return handler;
    }
}
