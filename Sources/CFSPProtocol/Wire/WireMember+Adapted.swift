import RPC

extension WireMember {
    /// The same member under another wire name, doc or presence: how a method that runs several
    /// stages (`run`) takes a stage's member without declaring it again (`windowSize` of
    /// `evaluate` becomes `evalWindowSize`, the required `sparsity` of `prune` gets `run`'s
    /// default). The value's shape and range, and how it is read and written, stay the member's.
    public func adapted(name: String? = nil, doc: ((String) -> String)? = nil, presence: WirePresence? = nil)
        -> WireMember
    {
        var info = self.info
        if let name { info.name = name }
        if let doc { info.doc = doc(info.doc) }
        if let presence { info.presence = presence }
        return WireMember(info: info, get: get, set: set)
    }
}

extension Array {
    /// Every member but those named in `names`.
    public func excluding<Root>(_ names: Set<String>) -> [WireMember<Root>] where Element == WireMember<Root> {
        filter { !names.contains($0.name) }
    }
}
