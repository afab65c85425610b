package io.discagent.service.logging;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * One line a record, for people: the local time, the level, the logger's short name (its class name) and the message,
 * and the error's type and message when there is one:
 * {@code 2026-11-30 07:10:00.123 INFO  DiscAgent: backend linux found no recorders; trying the next one}. The stack
 * trace follows, indented, only for errors and at the levels below INFO, where someone is looking for it.
 */
final class OneLineFormatter extends Formatter {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS")
            .withZone(ZoneId.systemDefault());

    @Override
    public String format(LogRecord record) {
        StringBuilder line = new StringBuilder(128)
                .append(TIME.format(record.getInstant())).append(' ')
                .append(String.format("%-5s", LogLevel.nameOf(record.getLevel()))).append(' ')
                .append(shortName(record.getLoggerName())).append(": ")
                .append(oneLine(formatMessage(record)));
        Throwable error = record.getThrown();
        if (error != null) {
            line.append(" [").append(oneLine(String.valueOf(error))).append(']');
            if (record.getLevel().intValue() >= Level.SEVERE.intValue() || !LoggingSetup.isInfoOrAbove()) {
                StringWriter trace = new StringWriter();
                error.printStackTrace(new PrintWriter(trace));
                line.append(System.lineSeparator()).append(trace.toString().stripTrailing().indent(4).stripTrailing());
            }
        }
        return line.append(System.lineSeparator()).toString();
    }

    /** {@code io.discagent.agent.DiscAgent} &rarr; {@code DiscAgent}. */
    static String shortName(String loggerName) {
        if (loggerName == null || loggerName.isEmpty()) {
            return "root";
        }
        return loggerName.substring(loggerName.lastIndexOf('.') + 1);
    }

    private static String oneLine(String text) {
        return text.replace("\r", "").replace('\n', ' ');
    }
}
