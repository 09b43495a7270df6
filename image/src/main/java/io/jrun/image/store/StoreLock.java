package io.jrun.image.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A shared/exclusive lock on a file, across processes (fcntl locks) and across the threads of
 * this JVM (which fcntl cannot tell apart): pulls hold it shared, garbage collection exclusive.
 */
final class StoreLock {
    private static final ConcurrentHashMap<Path, StoreLock> LOCKS = new ConcurrentHashMap<>();

    private final Path file;
    private final ReentrantReadWriteLock jvm = new ReentrantReadWriteLock();
    private FileChannel channel;
    private FileLock lock;
    private int sharedHolders;

    private StoreLock(Path file) {
        this.file = file;
    }

    static StoreLock of(Path file) {
        return LOCKS.computeIfAbsent(file.toAbsolutePath().normalize(), StoreLock::new);
    }

    /** A held lock; closing it releases it. */
    interface Held extends AutoCloseable {
        @Override
        void close();
    }

    Held shared() throws IOException {
        jvm.readLock().lock();
        try {
            synchronized (this) {
                if (sharedHolders++ == 0) {
                    acquire(true);
                }
            }
        } catch (IOException | RuntimeException e) {
            synchronized (this) {
                sharedHolders--;
            }
            jvm.readLock().unlock();
            throw e;
        }
        return () -> {
            synchronized (this) {
                if (--sharedHolders == 0) {
                    release();
                }
            }
            jvm.readLock().unlock();
        };
    }

    Held exclusive() throws IOException {
        jvm.writeLock().lock();
        try {
            synchronized (this) {
                acquire(false);
            }
        } catch (IOException | RuntimeException e) {
            jvm.writeLock().unlock();
            throw e;
        }
        return () -> {
            synchronized (this) {
                release();
            }
            jvm.writeLock().unlock();
        };
    }

    private void acquire(boolean shared) throws IOException {
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            lock = channel.lock(0, Long.MAX_VALUE, shared);
        } catch (IOException | RuntimeException e) {
            channel.close();
            channel = null;
            throw e;
        }
    }

    private void release() {
        try {
            channel.close(); // releases the lock
        } catch (IOException ignored) {
            // closing a lock file cannot lose data
        }
        channel = null;
        lock = null;
    }
}
