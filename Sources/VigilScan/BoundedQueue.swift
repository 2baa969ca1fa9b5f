import Foundation

/// A blocking first-in first-out queue with a fixed capacity: the walker waits when workers fall
/// behind, so memory stays bounded however many files a tree holds.
///
/// Three lanes, taken in this order: urgent elements (container members waiting to be scanned),
/// expansions (containers waiting to be walked) and ordinary elements (the walker's files). A
/// consumer that took an element with ``pop()`` is *busy* until it calls ``finished()``: while any
/// consumer is busy, a closed and empty queue still makes ``pop()`` wait, because the busy one may
/// push urgent work (a container's members) that the others should help with.
///
/// `@unchecked Sendable`: every access to `items` and `closed` happens under `condition`'s lock.
final class BoundedQueue<Element: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private var head = 0
    private var closed = false
    private let capacity: Int
    /// Container members waiting to be scanned: taken before ``items``, never bounded by
    /// `capacity` (the worker extracting them bounds them by helping, see `Worker`), and accepted
    /// after ``close()`` (the extracting worker is still in its loop and drains them).
    private var urgent: [Element] = []
    private var urgentHead = 0
    /// Containers to walk: taken after urgent elements and before ordinary ones, never bounded
    /// (at most one per ordinary element being processed), accepted after ``close()``.
    private var expansions: [Element] = []
    /// Consumers between ``pop()`` and ``finished()``.
    private var busy = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Adds an element, waiting while the queue is full.
    func push(_ element: Element) {
        condition.lock()
        while items.count - head >= capacity { condition.wait() }
        items.append(element)
        condition.broadcast()
        condition.unlock()
    }

    /// Adds an element ahead of the ordinary ones, without waiting (also after ``close()``).
    func pushUrgent(_ element: Element) {
        condition.lock()
        urgent.append(element)
        condition.broadcast()
        condition.unlock()
    }

    /// Adds a container to walk, ahead of the ordinary elements and behind the urgent ones,
    /// without waiting (also after ``close()``).
    func pushExpansion(_ element: Element) {
        condition.lock()
        expansions.append(element)
        condition.broadcast()
        condition.unlock()
    }

    /// Urgent elements waiting.
    var urgentCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return urgent.count - urgentHead
    }

    /// Removes the oldest urgent element without waiting; `nil` when there is none.
    func popUrgent() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        return takeUrgent()
    }

    /// Removes the newest urgent element when `accept` takes it, without waiting; `nil` otherwise.
    func popNewestUrgent(if accept: (Element) -> Bool) -> Element? {
        condition.lock()
        defer { condition.unlock() }
        guard urgentHead < urgent.count, let last = urgent.last, accept(last) else { return nil }
        urgent.removeLast()
        if urgentHead == urgent.count {
            urgent.removeAll(keepingCapacity: true)
            urgentHead = 0
        }
        return last
    }

    private func takeUrgent() -> Element? {
        guard urgentHead < urgent.count else { return nil }
        let element = urgent[urgentHead]
        urgentHead += 1
        if urgentHead == urgent.count {
            urgent.removeAll(keepingCapacity: true)
            urgentHead = 0
        }
        return element
    }

    /// Removes the oldest element (urgent ones first, then expansions), waiting while the queue is
    /// empty; `nil` once closed, drained and no consumer is busy. The caller is busy with the
    /// element until it calls ``finished()``.
    func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while items.count == head && urgent.count == urgentHead && expansions.isEmpty && !(closed && busy == 0) {
            condition.wait()
        }
        if let element = takeUrgent() {
            busy += 1
            return element
        }
        if !expansions.isEmpty {
            busy += 1
            return expansions.removeFirst()
        }
        guard head < items.count else { return nil }
        busy += 1
        let element = items[head]
        head += 1
        if head > 1024, head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return element
    }

    /// The element the caller last took with ``pop()`` is done (whatever it pushed is queued).
    func finished() {
        condition.lock()
        busy -= 1
        if busy == 0 { condition.broadcast() }
        condition.unlock()
    }

    /// No more ordinary elements will be pushed; waiting consumers drain the rest and then get `nil`.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
