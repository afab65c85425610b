package io.discagent.service.logging;

import java.util.Locale;
import java.util.logging.Formatter;

/** The formats of {@code --log-format}: one line a record, for people or for machines. */
public enum LogFormat {

    /** {@code 2026-11-30 07:10:00.123 INFO  DiscAgent: backend linux found no recorders}. */
    TEXT,
    /** One JSON object a line: {@code time}, {@code level}, {@code logger}, {@code message}, {@code error}, .... */
    JSON;

    /** The formatter that writes it. */
    public Formatter formatter() {
        return this == JSON ? new JsonLineFormatter() : new OneLineFormatter();
    }

    /** The name as {@code --log-format} takes it. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
