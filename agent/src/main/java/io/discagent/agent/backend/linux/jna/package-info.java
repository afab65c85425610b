/**
 * JNA bindings of the C library for the Linux backend: {@code open}, {@code close}, {@code ioctl} ({@code SG_IO},
 * CD-ROM ioctls), {@code flock}, {@code fcntl}, netlink {@code socket}/{@code bind}/{@code recv},
 * {@code setsockopt} and {@code umount2}, behind typed handles ({@link io.discagent.agent.backend.linux.jna.DeviceFd},
 * {@link io.discagent.agent.backend.linux.jna.NetlinkSocket}). No hand-written JNI. Struct layouts and numbers are
 * those of x86-64 Linux (reference linux.md 2.4 and 2.5).
 */
@NullMarked
package io.discagent.agent.backend.linux.jna;

import org.jspecify.annotations.NullMarked;
