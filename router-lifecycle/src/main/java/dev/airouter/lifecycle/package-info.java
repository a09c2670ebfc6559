/**
 * Supervise one external process from a JVM: adopt it if it is already healthy, otherwise spawn
 * it, wait until it is ready, stream its output to a rotating log, restart it when it crashes, and
 * stop its whole process tree — leaving no orphan even when the JVM is killed with {@code -9}.
 *
 * <p>The entry type is {@link dev.airouter.lifecycle.ManagedProcess}; configuration is an immutable
 * {@link dev.airouter.lifecycle.ProcessConfig} built with {@link dev.airouter.lifecycle.ProcessConfig#builder(String)}.
 */
package dev.airouter.lifecycle;
