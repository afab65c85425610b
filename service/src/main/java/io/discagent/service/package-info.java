/**
 * The agent as a local service: {@link io.discagent.service.DiscService} and its configuration.
 */
@NullMarked
package io.discagent.service;

import org.jspecify.annotations.NullMarked;
