/// Pairs the files of two releases: by relative path, then unchanged content under another name
/// (renames and moves), then the same file name in another folder (moved and changed).
enum Pairing {
    static func pair(old: [FileFacts], new: [FileFacts]) -> [FileChange] {
        var changes: [FileChange] = []
        let newByPath = Dictionary(new.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        var oldLeft: [FileFacts] = []
        var pairedNew: Set<String> = []
        for o in old {
            if let n = newByPath[o.path] {
                changes.append(FileChange(kind: o.sha256 == n.sha256 ? .unchanged : .modified, old: o, new: n))
                pairedNew.insert(n.path)
            } else {
                oldLeft.append(o)
            }
        }
        var newLeft = new.filter { !pairedNew.contains($0.path) }

        // Same content, other path.
        var newByHash: [String: [Int]] = [:]
        for (i, n) in newLeft.enumerated() where n.linkTarget == nil && n.size > 0 { newByHash[n.sha256, default: []].append(i) }
        var usedNew: Set<Int> = []
        var stillOld: [FileFacts] = []
        for o in oldLeft {
            if let i = newByHash[o.sha256]?.first(where: { !usedNew.contains($0) }) {
                usedNew.insert(i)
                let n = newLeft[i]
                changes.append(FileChange(kind: o.name == n.name ? .moved : .renamed, old: o, new: n))
            } else {
                stillOld.append(o)
            }
        }
        newLeft = newLeft.enumerated().filter { !usedNew.contains($0.offset) }.map(\.element)

        // Same file name, unique on both sides, other folder: moved and changed.
        let oldNames = Dictionary(grouping: stillOld, by: \.name)
        let newNames = Dictionary(grouping: newLeft, by: \.name)
        var movedOld: Set<String> = [], movedNew: Set<String> = []
        for (name, olds) in oldNames where olds.count == 1 {
            guard let news = newNames[name], news.count == 1 else { continue }
            changes.append(FileChange(kind: .moved, old: olds[0], new: news[0]))
            movedOld.insert(olds[0].path)
            movedNew.insert(news[0].path)
        }
        for o in stillOld where !movedOld.contains(o.path) { changes.append(FileChange(kind: .removed, old: o, new: nil)) }
        for n in newLeft where !movedNew.contains(n.path) { changes.append(FileChange(kind: .added, old: nil, new: n)) }
        return changes.sorted { $0.path < $1.path }
    }
}
