package dev.airouter.reliability;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;

/**
 * Connections that send the headers of a POST and the start of its body, then stall: half stay
 * silent, half dribble one more body byte per second (which defeats a per-read timeout). They stay
 * open until {@link #close()}; {@link #states()} reports what the server did with them.
 */
final class SlowLoris implements AutoCloseable {
    private final List<Socket> sockets = new ArrayList<>();
    private final Map<Socket, String> settled = new java.util.HashMap<>(); // answered or closed: final
    private final Thread dribbler;
    private volatile boolean running = true;

    SlowLoris(URI server, String path, int connections) throws IOException {
        for (int i = 0; i < connections; i++) {
            Socket s = new Socket();
            s.connect(new InetSocketAddress(server.getHost(), server.getPort()), 5000);
            s.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: " + server.getHost() + "\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"message\":\"hel")
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            sockets.add(s);
        }
        dribbler = new Thread(() -> {
            while (running) {
                LockSupport.parkNanos(1_000_000_000L);
                for (int i = 0; i < sockets.size(); i += 2) {
                    try {
                        sockets.get(i).getOutputStream().write('l');
                    } catch (IOException e) {
                        // closed by the server: that is one of the outcomes states() reports
                    }
                }
            }
        }, "slow-loris-" + server.getPort());
        dribbler.setDaemon(true);
        dribbler.start();
    }

    /** @return "open", "answered 408 …" or "closed" → count, for the silent and the dribbling halves */
    synchronized Map<String, Integer> states() {
        Map<String, Integer> states = new TreeMap<>();
        for (int i = 0; i < sockets.size(); i++) {
            Socket s = sockets.get(i);
            String state = settled.containsKey(s) ? settled.get(s) : state(s);
            if (!state.equals("open")) {
                settled.put(s, state);
            }
            states.merge((i % 2 == 0 ? "dribbling " : "silent ") + state, 1, Integer::sum);
        }
        return states;
    }

    /** @return how many connections the server has neither answered nor closed */
    int open() {
        return states().entrySet().stream().filter(e -> e.getKey().endsWith(" open")).mapToInt(Map.Entry::getValue).sum();
    }

    private static String state(Socket s) {
        try {
            s.setSoTimeout(50);
            InputStream in = s.getInputStream();
            byte[] buffer = new byte[12];
            int n = in.readNBytes(buffer, 0, 12);
            if (n <= 0) {
                return "closed";
            }
            String head = new String(buffer, 0, n, StandardCharsets.ISO_8859_1);
            return head.startsWith("HTTP/1.1 ") ? "answered " + head.substring(9).trim() : "answered ?";
        } catch (SocketTimeoutException e) {
            return "open";
        } catch (IOException e) {
            return "closed";
        }
    }

    /** Closes every connection (the interrupt flag is kept). */
    @Override
    public void close() {
        running = false;
        dribbler.interrupt();
        try {
            dribbler.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException e) {
                // a test connection
            }
        }
    }
}
