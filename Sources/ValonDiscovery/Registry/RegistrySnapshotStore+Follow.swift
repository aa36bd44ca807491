import ValonKit

extension RegistrySnapshotStore {
    /// Reads until one read succeeds, waiting with exponential backoff between failures.
    func readUntilSuccess() async {
        var delay = backoff.initial
        while !Task.isCancelled {
            do {
                try await refresh()
                return
            } catch {
                logger.warning("registry read failed, retrying in \(delay)", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, backoff.maximum)
            }
        }
    }

    /// Watches the registry prefix from the revision after the current snapshot; each
    /// response with events newer than the snapshot triggers a full re-read. The watch
    /// reconnects by itself; when it ends (compaction, refused credentials) the registry
    /// is read again and a new watch starts.
    func followWatch() async {
        // A registry in another store than etcd has no watch: the periodic resync follows it.
        guard let etcd = registry.etcd else { return }
        let prefix = registry.configuration.keys.prefix
        var delay = backoff.initial
        while !Task.isCancelled {
            let start = (live?.revision ?? 0) + 1
            do {
                for try await response in etcd.watch(.prefix(prefix, startRevision: start)) {
                    delay = backoff.initial
                    guard !response.events.isEmpty, response.revision > live?.revision ?? 0 else { continue }
                    do {
                        try await refresh()
                    } catch {
                        logger.warning("registry re-read after a watch event failed", metadata: ["error": "\(error)"])
                    }
                }
            } catch {
                metrics.recordEtcdError()
                logger.warning("registry watch ended, reading again", metadata: ["error": "\(error)"])
            }
            guard !Task.isCancelled else { return }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, backoff.maximum)
            await readUntilSuccess()
        }
    }

    /// Re-reads the whole registry every ``syncInterval``, so a missed event or a
    /// recovered etcd shows up even without a watch event.
    func resyncPeriodically() async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: syncInterval)
            } catch {
                return
            }
            do {
                try await refresh()
            } catch {
                logger.warning("periodic registry resync failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
