package io.discagent.service.logging;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/** The two log formats: one human line a record (no JDK two-line default), and one JSON object a line. */
class LogFormatTests {

    private static LogRecord record(Level level, String logger, String message) {
        LogRecord record = new LogRecord(level, message);
        record.setLoggerName(logger);
        return record;
    }

    @Test
    void textIsOneLineWithLevelShortLoggerNameAndMessage() {
        String line = LogFormat.TEXT.formatter().format(record(Level.INFO, "io.discagent.agent.DiscAgent",
                "backend linux found no recorders; trying the next one"));
        assertThat(line).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  DiscAgent: backend linux "
                + "found no recorders; trying the next one" + System.lineSeparator());
        assertThat(line).doesNotContain("lambda$").doesNotContain("keepOrSkip");
    }

    @Test
    void aWarningWithAnErrorStaysOneLineAndAnErrorShowsItsStackTrace() {
        LogRecord warning = record(Level.WARNING, "io.discagent.service.DiscService", "stopping the HTTP server failed");
        warning.setThrown(new IOException("broken\npipe"));
        String line = LogFormat.TEXT.formatter().format(warning);
        assertThat(line.strip()).doesNotContain("\n")
                .endsWith("WARN  DiscService: stopping the HTTP server failed [java.io.IOException: broken pipe]");

        LogRecord error = record(Level.SEVERE, "io.discagent.service.http.Problems", "a bug");
        error.setThrown(new IllegalStateException("boom"));
        assertThat(LogFormat.TEXT.formatter().format(error)).contains("ERROR Problems: a bug [java.lang"
                + ".IllegalStateException: boom]").contains("\n    java.lang.IllegalStateException: boom")
                .contains("    \tat ");
    }

    @Test
    void jsonIsOneObjectALineWithTheAccessLogsFieldsOfTheirOwn() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("method", "GET");
        fields.put("status", 200);
        LogRecord access = record(Level.INFO, LoggingSetup.ACCESS_LOGGER, "127.0.0.1 GET / 200 10 B 1 ms");
        access.setParameters(new Object[] {fields});
        String line = LogFormat.JSON.formatter().format(access);
        assertThat(line).endsWith(System.lineSeparator());
        assertThat(line.strip()).doesNotContain("\n");
        JsonObject json = new JsonObject(line);
        assertThat(json.getString("level")).isEqualTo("INFO");
        assertThat(json.getString("logger")).isEqualTo("io.discagent.service.access");
        assertThat(json.getString("message")).isEqualTo("127.0.0.1 GET / 200 10 B 1 ms");
        assertThat(json.getString("method")).isEqualTo("GET");
        assertThat(json.getInteger("status")).isEqualTo(200);
        assertThat(json.getString("time")).endsWith("Z");

        LogRecord failed = record(Level.FINE, "io.discagent.x.Y", "detail");
        failed.setThrown(new IOException("gone"));
        JsonObject withError = new JsonObject(LogFormat.JSON.formatter().format(failed));
        assertThat(withError.getString("level")).isEqualTo("DEBUG");
        assertThat(withError.getString("error")).isEqualTo("java.io.IOException: gone");
        assertThat(withError.getString("stack")).contains("LogFormatTests");
    }
}
