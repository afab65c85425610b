package io.discagent.service.events;

import io.discagent.api.RecorderId;
import io.discagent.api.event.RecorderEvent;
import io.vertx.core.buffer.Buffer;

/**
 * An event encoded once for every stream client: its JSON ({@link EventJson}) as the bytes of a WebSocket text
 * message, and the same JSON framed for Server-Sent Events ({@code id: <sequence>}, {@code event: <type>},
 * {@code data: <json>}). Clients write these very buffers; none is copied or changed after it is made.
 *
 * @param sequence the event's sequence
 * @param recorder the recorder it is about (for the clients' filters)
 * @param json the JSON text, UTF-8
 * @param sse the SSE frame, UTF-8
 */
public record EncodedEvent(long sequence, RecorderId recorder, Buffer json, Buffer sse) {

    /** Encodes {@code event}. */
    public static EncodedEvent of(RecorderEvent event) {
        String json = EventJson.event(event).encode();
        return new EncodedEvent(event.sequence(), event.recorder(), Buffer.buffer(json),
                Buffer.buffer("id: " + event.sequence() + "\nevent: " + EventJson.typeOf(event) + "\ndata: " + json
                        + "\n\n"));
    }
}
