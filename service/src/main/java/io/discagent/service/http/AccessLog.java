package io.discagent.service.http;

import io.discagent.service.logging.LoggingSetup;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ResourceBundle;

/**
 * The access log ({@code serve --access-log}): one INFO record per HTTP request when its response ends, to
 * {@value LoggingSetup#ACCESS_LOGGER}: {@code 127.0.0.1 GET /api/v1/recorders 200 812 B 3 ms}. The fields also go
 * with the record as a map, which the JSON log format writes as fields of their own ({@code remote}, {@code method},
 * {@code path}, {@code status}, {@code bytes}, {@code millis}). The query string is left out: an event stream's
 * {@code access_token} travels in it.
 */
final class AccessLog implements Handler<RoutingContext> {

    private static final System.Logger LOG = System.getLogger(LoggingSetup.ACCESS_LOGGER);

    @Override
    public void handle(RoutingContext rc) {
        long started = System.nanoTime();
        rc.addEndHandler(ended -> {
            Map<String, Object> fields = new LinkedHashMap<>();
            var remote = rc.request().remoteAddress();
            fields.put("remote", remote == null ? "-" : remote.hostAddress());
            fields.put("method", rc.request().method().name());
            fields.put("path", rc.request().path());
            fields.put("status", rc.response().getStatusCode());
            fields.put("bytes", rc.response().bytesWritten());
            fields.put("millis", (System.nanoTime() - started) / 1_000_000);
            String line = fields.get("remote") + " " + fields.get("method") + " " + fields.get("path") + " "
                    + fields.get("status") + " " + fields.get("bytes") + " B " + fields.get("millis") + " ms";
            LOG.log(System.Logger.Level.INFO, (ResourceBundle) null, line, fields);
        });
        rc.next();
    }
}
