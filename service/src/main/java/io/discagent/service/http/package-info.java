/**
 * The HTTP API: the endpoint table, the router and the OpenAPI document built from it, request checks and replies.
 */
@NullMarked
package io.discagent.service.http;

import org.jspecify.annotations.NullMarked;
