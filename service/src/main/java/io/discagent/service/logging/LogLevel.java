package io.discagent.service.logging;

import java.util.Locale;
import java.util.logging.Level;

/**
 * The levels of {@code --log-level}, by the names operators know, and the java.util.logging level each one lets
 * through ({@code System.Logger}'s DEBUG is {@code FINE}, TRACE is {@code FINER}).
 */
public enum LogLevel {

    ERROR(Level.SEVERE),
    WARN(Level.WARNING),
    INFO(Level.INFO),
    DEBUG(Level.FINE),
    TRACE(Level.FINEST),
    OFF(Level.OFF);

    private final Level level;

    LogLevel(Level level) {
        this.level = level;
    }

    /** The java.util.logging level. */
    public Level level() {
        return level;
    }

    /** The name shown for a record of java.util.logging level {@code level}: ERROR, WARN, INFO, DEBUG or TRACE. */
    public static String nameOf(Level level) {
        int value = level.intValue();
        if (value >= Level.SEVERE.intValue()) {
            return ERROR.name();
        } else if (value >= Level.WARNING.intValue()) {
            return WARN.name();
        } else if (value >= Level.INFO.intValue()) {
            return INFO.name();
        }
        return value >= Level.FINE.intValue() ? DEBUG.name() : TRACE.name();
    }

    /** The name as {@code --log-level} takes it. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
