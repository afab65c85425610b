package io.discagent.service.logging;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * One JSON object a line, for log collectors: {@code time} (UTC, ISO-8601), {@code level}, {@code logger},
 * {@code message}, and {@code error} with {@code stack} when a throwable came with the record. A record whose first
 * parameter is a map (the access log's) adds its entries as fields of their own.
 */
final class JsonLineFormatter extends Formatter {

    @Override
    public String format(LogRecord record) {
        JsonObject line = new JsonObject()
                .put("time", record.getInstant().toString())
                .put("level", LogLevel.nameOf(record.getLevel()))
                .put("logger", record.getLoggerName())
                .put("message", formatMessage(record));
        Object[] parameters = record.getParameters();
        if (parameters != null && parameters.length > 0 && parameters[0] instanceof Map<?, ?> fields) {
            fields.forEach((key, value) -> line.put(String.valueOf(key), value));
        }
        Throwable error = record.getThrown();
        if (error != null) {
            StringWriter trace = new StringWriter();
            error.printStackTrace(new PrintWriter(trace));
            line.put("error", String.valueOf(error)).put("stack", trace.toString());
        }
        return line.encode() + System.lineSeparator();
    }
}
