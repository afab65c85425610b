/**
 * Burns started through the service: {@link io.discagent.service.burn.ImageFiles} opens a client's image only inside
 * the configured burn directory, and {@link io.discagent.service.burn.ServiceBurns} keeps each burn's latest state for
 * the HTTP API and the status page.
 */
@NullMarked
package io.discagent.service.burn;

import org.jspecify.annotations.NullMarked;
