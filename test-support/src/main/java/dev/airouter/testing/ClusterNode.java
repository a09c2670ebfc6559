package dev.airouter.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One line of a {@code CLUSTER NODES} reply: how the asked node sees one node of the cluster.
 *
 * @param id the node id (40 hex characters), kept across restarts in the node's cluster config file
 * @param port its client port
 * @param flags e.g. {@code myself}, {@code master}, {@code slave}, {@code fail?} (PFAIL), {@code fail}
 * @param masterId the id of the master it replicates, or {@code -} for a master
 * @param connected whether the asked node's cluster-bus link to it is up
 * @param slots the slot ranges it serves, each {@code [first, last]}; importing and migrating entries left out
 */
record ClusterNode(String id, int port, Set<String> flags, String masterId, boolean connected, List<int[]> slots) {
    ClusterNode {
        flags = Set.copyOf(flags);
        slots = List.copyOf(slots);
    }

    /**
     * @param reply a {@code CLUSTER NODES} reply, one node a line:
     *     {@code id ip:port@busport flags master ping-sent pong-recv config-epoch link-state slot...}
     * @return one entry per line
     */
    static List<ClusterNode> parse(Object reply) {
        List<ClusterNode> nodes = new ArrayList<>();
        for (String line : String.valueOf(reply).split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length < 8) {
                continue;
            }
            String address = f[1].split("[@,]")[0];
            int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
            List<int[]> slots = new ArrayList<>();
            for (int i = 8; i < f.length; i++) {
                if (f[i].startsWith("[")) {
                    continue; // [slot->-id] migrating, [slot-<-id] importing
                }
                String[] range = f[i].split("-");
                int first = Integer.parseInt(range[0]);
                slots.add(new int[] {first, range.length > 1 ? Integer.parseInt(range[1]) : first});
            }
            nodes.add(new ClusterNode(f[0], port, Set.of(f[2].split(",")), f[3], "connected".equals(f[7]), slots));
        }
        return nodes;
    }

    /** @return whether it is flagged master */
    boolean isMaster() {
        return flags.contains("master");
    }

    /** @return whether it is flagged replica ({@code slave}) */
    boolean isReplica() {
        return flags.contains("slave");
    }

    /** @return whether the asked node has it flagged as failed ({@code fail}, not only {@code fail?}) */
    boolean isFailed() {
        return flags.contains("fail");
    }

    /** @return whether it serves {@code slot} */
    boolean serves(int slot) {
        return slots.stream().anyMatch(r -> r[0] <= slot && slot <= r[1]);
    }

    /** @return the first slot it serves, or -1 if none */
    int firstSlot() {
        return slots.isEmpty() ? -1 : slots.get(0)[0];
    }
}
