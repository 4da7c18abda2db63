package dev.t5pt.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A byte trie over the pieces' UTF-8 spellings with hashed transitions (open addressing on
 * node·256 + byte), so a walk from any text position visits every piece that starts there, shortest first.
 */
final class PieceTrie {
    private long[] keys;  // node << 8 | byte, or -1
    private int[] children;
    private int[] values = new int[1024]; // piece id ending at node, or -1
    private int nodes = 1;
    private int mask;

    PieceTrie(List<byte[]> spellings, List<Integer> ids) {
        int cap = Integer.highestOneBit(Math.max(16, spellings.size() * 16)) * 2;
        keys = new long[cap];
        children = new int[cap];
        mask = cap - 1;
        java.util.Arrays.fill(keys, -1);
        java.util.Arrays.fill(values, -1);
        for (int i = 0; i < spellings.size(); i++) {
            insert(spellings.get(i), ids.get(i));
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private void insert(byte[] key, int id) {
        int node = 0;
        for (byte b : key) {
            int next = child(node, b);
            if (next < 0) {
                next = nodes++;
                if (nodes > values.length) {
                    int old = values.length;
                    values = java.util.Arrays.copyOf(values, old * 2);
                    java.util.Arrays.fill(values, old, values.length, -1);
                }
                put(((long) node << 8) | (b & 0xff), next);
            }
            node = next;
        }
        if (values[node] < 0) {
            values[node] = id;
        }
    }

    /** The child of node by byte b, or -1. */
    int child(int node, byte b) {
        long key = ((long) node << 8) | (b & 0xff);
        int h = hash(key);
        while (true) {
            long k = keys[h];
            if (k == key) {
                return children[h];
            }
            if (k == -1) {
                return -1;
            }
            h = (h + 1) & mask;
        }
    }

    /** The piece id spelled by the path to node, or -1. */
    int value(int node) {
        return values[node];
    }

    private void put(long key, int child) {
        if (nodes * 2 > keys.length) {
            rehash();
        }
        int h = hash(key);
        while (keys[h] != -1) {
            h = (h + 1) & mask;
        }
        keys[h] = key;
        children[h] = child;
    }

    private void rehash() {
        long[] ok = keys;
        int[] oc = children;
        keys = new long[ok.length * 2];
        children = new int[ok.length * 2];
        mask = keys.length - 1;
        java.util.Arrays.fill(keys, -1);
        for (int i = 0; i < ok.length; i++) {
            if (ok[i] != -1) {
                int h = hash(ok[i]);
                while (keys[h] != -1) {
                    h = (h + 1) & mask;
                }
                keys[h] = ok[i];
                children[h] = oc[i];
            }
        }
    }

    private int hash(long key) {
        long x = key * 0x9E3779B97F4A7C15L;
        return (int) (x >>> 40) & mask;
    }
}
