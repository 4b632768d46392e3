//! Merkle tree hashing, inclusion proofs and consistency proofs for an append-only log, as in
//! RFC 9162 (Certificate Transparency 2.0), §2.1. Pure: no I/O.
//!
//! - Hashes are SHA-256: a leaf is `SHA-256(0x00 || data)`, an interior node
//!   `SHA-256(0x01 || left || right)`, and the empty tree's root is `SHA-256("")`.
//! - The Merkle Tree Hash of `n > 1` entries splits at `k`, the largest power of two strictly
//!   below `n`: `MTH(D[n]) = node_hash(MTH(D[0:k]), MTH(D[k:n]))`.
//! - Inclusion proofs are the audit paths `PATH(m, D[n])` of §2.1.3.1 and are verified with the
//!   algorithm of §2.1.3.2; consistency proofs are `PROOF(m, D[n])` of §2.1.4.1 and are verified
//!   with §2.1.4.2.
//!
//! Storage is behind [`NodeSource`]: the hash of every *complete* subtree, addressed by level
//! and index (level 0 holds the leaf hashes; node `(l, i)` covers leaves `[i·2^l, (i+1)·2^l)`).
//! Since the log only grows, a complete subtree's hash never changes, so the same nodes serve
//! the roots and proofs of every earlier size. [`MerkleTree`] keeps them in memory; a database
//! table of `(level, index, hash)` rows can implement the same trait and reuse
//! [`tree_root`], [`prove_inclusion`] and [`prove_consistency`] unchanged. Each of these reads
//! O(log n) nodes.
//!
//! Consistency from the empty tree (`old_size == 0`): RFC 9162 defines no proof for it, so both
//! [`prove_consistency`] and [`verify_consistency`] reject it with
//! [`MerkleError::InvalidSizes`]. A client that has seen only the empty log has nothing to
//! check; it should start from the first non-empty signed tree head it sees.
//!
//! What the RFC verification algorithms do and do not bind: an inclusion or consistency proof
//! is checked against roots whose sizes the verifier takes on trust (in a log, from a signed
//! tree head). For some pairs of sizes the proofs have exactly the same shape (for example the
//! audit path of leaf 0 in trees of 3 and of 4 leaves), so a proof for one size verifies as a
//! proof for the other with the *same* roots. That is inherent to RFC 9162 and harmless as long
//! as roots are only accepted together with the size they were signed with.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

/// A SHA-256 digest: a leaf hash, an interior node hash or a tree root.
pub type Hash = [u8; 32];

/// Why a root or proof could not be produced, or why a proof did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    /// A tree size beyond the number of leaves the log holds.
    #[error("tree size {size} is larger than the log ({len} leaves)")]
    SizeOutOfRange { size: u64, len: u64 },
    /// A leaf index that is not below the tree size (this includes any index in an empty tree).
    #[error("leaf index {index} is not below the tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    /// Sizes for which no consistency proof exists: it needs `0 < old_size <= new_size`.
    #[error("no consistency proof from size {old_size} to size {new_size}")]
    InvalidSizes { old_size: u64, new_size: u64 },
    /// The node store lacks the hash of a complete subtree it should hold.
    #[error("missing node hash at level {level}, index {index}")]
    MissingNode { level: u32, index: u64 },
    /// The proof has the wrong number of elements for the sizes (too short or too long).
    #[error("the proof has the wrong length for these sizes")]
    ProofLength,
    /// The proof recomputes a different root than the one given.
    #[error("the proof does not lead to the given root")]
    RootMismatch,
}

/// `SHA-256(0x00 || data)`: the hash of one log entry.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(data);
    hasher.finalize().into()
}

/// `SHA-256(0x01 || left || right)`: the hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The root of the empty tree: `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The largest power of two strictly smaller than `n`. Needs `n >= 2`.
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Naive recursive MTH over leaf hashes, straight from the definition; for tests and small trees.
pub fn root_of(leaf_hashes: &[Hash]) -> Hash {
    match leaf_hashes {
        [] => empty_root(),
        [leaf] => *leaf,
        _ => {
            let k = split_point(leaf_hashes.len() as u64) as usize;
            let (left, right) = leaf_hashes.split_at(k);
            node_hash(&root_of(left), &root_of(right))
        }
    }
}

/// Read access to the hashes of the complete subtrees of an append-only log.
///
/// Contract: for every `level` and `index` with `(index + 1) << level <= self.size()`,
/// `node(level, index)` returns the MTH of leaves `[index << level, (index + 1) << level)`
/// (at level 0, the leaf hash itself). The proof algorithms ask for no other node; a `None`
/// for one they ask for surfaces as [`MerkleError::MissingNode`].
pub trait NodeSource {
    /// The hash of the complete subtree `index` at `level`, if stored.
    fn node(&self, level: u32, index: u64) -> Option<Hash>;
    /// The number of leaves stored.
    fn size(&self) -> u64;
}

fn get_node<S: NodeSource + ?Sized>(src: &S, level: u32, index: u64) -> Result<Hash, MerkleError> {
    src.node(level, index)
        .ok_or(MerkleError::MissingNode { level, index })
}

/// MTH of the leaves `[start, end)`, `start < end <= src.size()`.
///
/// Every range the RFC recursion produces starts at a multiple of its own split point, so its
/// left part is one stored node and only the right edge recurses: O(log n) node reads.
fn range_hash<S: NodeSource + ?Sized>(src: &S, start: u64, end: u64) -> Result<Hash, MerkleError> {
    let n = end - start;
    if n.is_power_of_two() && start % n == 0 {
        let level = n.trailing_zeros();
        return get_node(src, level, start >> level);
    }
    if n <= 1 {
        // n == 1 is a power of two and always aligned, so only n == 0 gets here.
        return Ok(empty_root());
    }
    let mid = start + split_point(n);
    Ok(node_hash(
        &range_hash(src, start, mid)?,
        &range_hash(src, mid, end)?,
    ))
}

fn check_size<S: NodeSource + ?Sized>(src: &S, size: u64) -> Result<(), MerkleError> {
    let len = src.size();
    if size > len {
        return Err(MerkleError::SizeOutOfRange { size, len });
    }
    Ok(())
}

/// The root of the tree made of the first `size` leaves of `src`.
pub fn tree_root<S: NodeSource + ?Sized>(src: &S, size: u64) -> Result<Hash, MerkleError> {
    check_size(src, size)?;
    if size == 0 {
        return Ok(empty_root());
    }
    range_hash(src, 0, size)
}

/// The audit path `PATH(index, D[size])` of RFC 9162 §2.1.3.1, deepest sibling first.
pub fn prove_inclusion<S: NodeSource + ?Sized>(
    src: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, MerkleError> {
    check_size(src, size)?;
    if index >= size {
        return Err(MerkleError::IndexOutOfRange { index, size });
    }
    // Walk down from the root, collecting the sibling of each subtree holding `index`; the RFC
    // appends them on the way back up, so the path is this list reversed.
    let mut path = Vec::with_capacity(64 - size.leading_zeros() as usize);
    let (mut start, mut end) = (0, size);
    while end - start > 1 {
        let mid = start + split_point(end - start);
        if index < mid {
            path.push(range_hash(src, mid, end)?);
            end = mid;
        } else {
            path.push(range_hash(src, start, mid)?);
            start = mid;
        }
    }
    path.reverse();
    Ok(path)
}

/// The consistency proof `PROOF(old_size, D[new_size]) = SUBPROOF(old_size, D[new_size], true)`
/// of RFC 9162 §2.1.4.1. Empty when the sizes are equal; an error for `old_size == 0`.
pub fn prove_consistency<S: NodeSource + ?Sized>(
    src: &S,
    old_size: u64,
    new_size: u64,
) -> Result<Vec<Hash>, MerkleError> {
    if old_size == 0 || old_size > new_size {
        return Err(MerkleError::InvalidSizes { old_size, new_size });
    }
    check_size(src, new_size)?;
    let mut proof = Vec::with_capacity(64 - new_size.leading_zeros() as usize + 1);
    // SUBPROOF(m, D[start:end], whole_old_tree), iteratively; `m` counts from `start`.
    let (mut start, mut end, mut m) = (0, new_size, old_size);
    let mut whole_old_tree = true;
    loop {
        let n = end - start;
        if m == n {
            if !whole_old_tree {
                proof.push(range_hash(src, start, end)?);
            }
            break;
        }
        // Here 0 < m < n, so n >= 2.
        let k = split_point(n);
        let mid = start + k;
        if m <= k {
            proof.push(range_hash(src, mid, end)?);
            end = mid;
        } else {
            proof.push(range_hash(src, start, mid)?);
            start = mid;
            m -= k;
            whole_old_tree = false;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// Checks that `proof` is the audit path of `leaf_hash` at `index` in the tree of `size` leaves
/// whose root is `root`: RFC 9162 §2.1.3.2.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), MerkleError> {
    if index >= size {
        return Err(MerkleError::IndexOutOfRange { index, size });
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if sn == 0 {
            return Err(MerkleError::ProofLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(MerkleError::ProofLength);
    }
    if r != *root {
        return Err(MerkleError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree of `new_size` leaves with root `new_root` extends the tree of
/// `old_size` leaves with root `old_root`: RFC 9162 §2.1.4.2. Equal sizes need an empty proof
/// and equal roots; `old_size == 0` is rejected (see the module documentation).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), MerkleError> {
    if old_size == 0 || old_size > new_size {
        return Err(MerkleError::InvalidSizes { old_size, new_size });
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(MerkleError::ProofLength);
        }
        if old_root != new_root {
            return Err(MerkleError::RootMismatch);
        }
        return Ok(());
    }
    // When the old tree is a complete subtree the proof omits its root: put it back in front.
    let (first, rest) = if old_size.is_power_of_two() {
        (old_root, proof)
    } else {
        match proof.split_first() {
            Some(split) => split,
            None => return Err(MerkleError::ProofLength),
        }
    };
    let (mut fn_, mut sn) = (old_size - 1, new_size - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if sn == 0 {
            return Err(MerkleError::ProofLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(MerkleError::ProofLength);
    }
    if fr != *old_root || sr != *new_root {
        return Err(MerkleError::RootMismatch);
    }
    Ok(())
}

/// An append-only in-memory tree that stores every complete subtree hash, level by level
/// (level 0 = leaf hashes; level `l` holds hashes of complete subtrees of `2^l` leaves), so that
/// append is amortised O(1), and root, inclusion and consistency proofs are O(log n) node
/// lookups, for the current size or any earlier one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MerkleTree {
    /// `levels[l][i]` is the hash of leaves `[i·2^l, (i+1)·2^l)`; `levels[0]` are the leaves.
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of leaves.
    pub fn len(&self) -> u64 {
        self.levels.first().map_or(0, |leaves| leaves.len() as u64)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a leaf hash (see [`leaf_hash`]) and returns its index.
    pub fn push(&mut self, leaf_hash: Hash) -> u64 {
        let index = self.len();
        let mut hash = leaf_hash;
        let mut level = 0;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let nodes = &mut self.levels[level];
            nodes.push(hash);
            // An even count means the new node completed a pair: their parent is now complete.
            match nodes.as_slice() {
                [.., left, right] if nodes.len() % 2 == 0 => hash = node_hash(left, right),
                _ => break,
            }
            level += 1;
        }
        index
    }

    /// The root at the current size.
    pub fn root(&self) -> Hash {
        // The current size is always in range and every complete node is stored, so this cannot
        // fail; fall back to the naive root rather than panic if that ever changed.
        tree_root(self, self.len())
            .unwrap_or_else(|_| root_of(self.levels.first().map_or(&[], Vec::as_slice)))
    }

    /// The root the tree had when it held `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, MerkleError> {
        tree_root(self, size)
    }

    /// The audit path of leaf `index` in the tree of the first `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, MerkleError> {
        prove_inclusion(self, index, size)
    }

    /// The proof that the tree of `new_size` leaves extends the one of `old_size` leaves.
    pub fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<Vec<Hash>, MerkleError> {
        prove_consistency(self, old_size, new_size)
    }

    /// The leaf hash at `index`.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.node(0, index)
    }
}

impl NodeSource for MerkleTree {
    fn node(&self, level: u32, index: u64) -> Option<Hash> {
        let level = usize::try_from(level).ok()?;
        let index = usize::try_from(index).ok()?;
        self.levels.get(level)?.get(index).copied()
    }

    fn size(&self) -> u64 {
        self.len()
    }
}

impl Extend<Hash> for MerkleTree {
    fn extend<I: IntoIterator<Item = Hash>>(&mut self, leaf_hashes: I) {
        for leaf in leaf_hashes {
            self.push(leaf);
        }
    }
}

impl FromIterator<Hash> for MerkleTree {
    fn from_iter<I: IntoIterator<Item = Hash>>(leaf_hashes: I) -> Self {
        let mut tree = Self::new();
        tree.extend(leaf_hashes);
        tree
    }
}

/// Lower-case hexadecimal, 64 characters.
pub fn to_hex(h: &Hash) -> String {
    let mut out = String::with_capacity(64);
    for byte in h {
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Parses exactly 64 hexadecimal digits (either case); `None` for anything else.
pub fn from_hex(s: &str) -> Option<Hash> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = s.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        *byte = (digit(pair[0])? << 4) | digit(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn h(s: &str) -> Hash {
        from_hex(s).unwrap()
    }

    /// The eight entries of the Certificate Transparency reference tests, in hex.
    const KAT_LEAVES: [&str; 8] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];

    const KAT_ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn hex_bytes(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn kat_leaf_hashes() -> Vec<Hash> {
        KAT_LEAVES
            .iter()
            .map(|s| leaf_hash(&hex_bytes(s)))
            .collect()
    }

    /// Leaf hashes of `n` distinct entries.
    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    fn tree_of(leaves: &[Hash]) -> MerkleTree {
        leaves.iter().copied().collect()
    }

    /// `PATH(m, D[n])`, straight from RFC 9162 §2.1.3.1.
    fn naive_path(m: usize, d: &[Hash]) -> Vec<Hash> {
        let n = d.len();
        if n <= 1 {
            return Vec::new();
        }
        let k = split_point(n as u64) as usize;
        if m < k {
            let mut p = naive_path(m, &d[..k]);
            p.push(root_of(&d[k..]));
            p
        } else {
            let mut p = naive_path(m - k, &d[k..]);
            p.push(root_of(&d[..k]));
            p
        }
    }

    /// `SUBPROOF(m, D[n], b)`, straight from RFC 9162 §2.1.4.1.
    fn naive_subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
        let n = d.len();
        if m == n {
            return if b { Vec::new() } else { vec![root_of(d)] };
        }
        let k = split_point(n as u64) as usize;
        if m <= k {
            let mut p = naive_subproof(m, &d[..k], b);
            p.push(root_of(&d[k..]));
            p
        } else {
            let mut p = naive_subproof(m - k, &d[k..], false);
            p.push(root_of(&d[..k]));
            p
        }
    }

    /// For the audit path of leaf `m` in a tree of `n`, from the definition: for each element,
    /// deepest first, whether it is the left sibling. A path checks against a root iff these
    /// directions (and so the length) are right.
    fn naive_directions(m: u64, n: u64) -> Vec<bool> {
        if n <= 1 {
            return Vec::new();
        }
        let k = split_point(n);
        let mut dirs = if m < k {
            naive_directions(m, k)
        } else {
            naive_directions(m - k, n - k)
        };
        dirs.push(m >= k);
        dirs
    }

    /// A symbolic hash: a proof element by position, the old root given to the verifier, or
    /// an interior node.
    #[derive(Clone, Debug, PartialEq, Eq)]
    enum Sym {
        Proof(usize),
        OldRoot,
        Node(Box<Sym>, Box<Sym>),
    }

    /// Symbolic ranges of the naive SUBPROOF: how the old and new roots are built from the
    /// ranges in the proof, deepest first. `None` stands for the old tree when it is omitted.
    #[derive(Clone, Debug)]
    enum Expr {
        Range(u64, u64),
        Node(Box<Expr>, Box<Expr>),
    }

    fn naive_shape(m: u64, lo: u64, hi: u64, b: bool) -> (Vec<(u64, u64)>, Expr, Expr) {
        let n = hi - lo;
        if m == n {
            let r = Expr::Range(lo, hi);
            let proof = if b { Vec::new() } else { vec![(lo, hi)] };
            return (proof, r.clone(), r);
        }
        let k = split_point(n);
        let mid = lo + k;
        if m <= k {
            let (mut p, old, new) = naive_shape(m, lo, mid, b);
            p.push((mid, hi));
            let new = Expr::Node(Box::new(new), Box::new(Expr::Range(mid, hi)));
            (p, old, new)
        } else {
            let (mut p, old, new) = naive_shape(m - k, mid, hi, false);
            p.push((lo, mid));
            let left = Expr::Range(lo, mid);
            let old = Expr::Node(Box::new(left.clone()), Box::new(old));
            let new = Expr::Node(Box::new(left), Box::new(new));
            (p, old, new)
        }
    }

    fn to_sym(e: &Expr, proof: &[(u64, u64)], old_size: u64) -> Sym {
        match e {
            Expr::Range(lo, hi) => match proof.iter().position(|r| *r == (*lo, *hi)) {
                Some(i) => Sym::Proof(i),
                None => {
                    assert_eq!((*lo, *hi), (0, old_size));
                    Sym::OldRoot
                }
            },
            Expr::Node(l, r) => Sym::Node(
                Box::new(to_sym(l, proof, old_size)),
                Box::new(to_sym(r, proof, old_size)),
            ),
        }
    }

    fn subst_old_root(s: &Sym, old_root: &Sym) -> Sym {
        match s {
            Sym::OldRoot => old_root.clone(),
            Sym::Proof(i) => Sym::Proof(*i),
            Sym::Node(l, r) => Sym::Node(
                Box::new(subst_old_root(l, old_root)),
                Box::new(subst_old_root(r, old_root)),
            ),
        }
    }

    /// (proof length, old root, new root) of a consistency proof, symbolically.
    fn consistency_shape(m: u64, n: u64) -> (usize, Sym, Sym) {
        let (proof, old, new) = naive_shape(m, 0, n, true);
        (
            proof.len(),
            to_sym(&old, &proof, m),
            to_sym(&new, &proof, m),
        )
    }

    /// Whether the proof for `(m, n)`, given with the true roots of sizes `m` and `n`, must pass
    /// verification as a proof for `(m2, n2)`: iff the definition builds the same two roots
    /// from the same elements (the verifier's old root standing for the true one).
    fn consistency_shapes_match(m: u64, n: u64, m2: u64, n2: u64) -> bool {
        let (len, old, new) = consistency_shape(m, n);
        let (len2, old2, new2) = consistency_shape(m2, n2);
        // The real old root, in terms of the real proof's elements.
        len == len2 && subst_old_root(&old2, &old) == old && subst_old_root(&new2, &old) == new
    }

    fn flip_bit(proof: &[Hash], element: usize, bit: usize) -> Vec<Hash> {
        let mut p = proof.to_vec();
        p[element][bit / 8] ^= 1 << (bit % 8);
        p
    }

    #[test]
    fn empty_tree() {
        let tree = MerkleTree::new();
        let empty = h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(empty_root(), empty);
        assert_eq!(root_of(&[]), empty);
        assert_eq!(tree.root(), empty);
        assert_eq!(tree.root_at(0), Ok(empty));
        assert!(tree.is_empty());
        assert_eq!(tree.len(), 0);
        assert_eq!(tree.leaf(0), None);
        assert_eq!(
            tree.root_at(1),
            Err(MerkleError::SizeOutOfRange { size: 1, len: 0 })
        );
        assert_eq!(
            tree.inclusion_proof(0, 0),
            Err(MerkleError::IndexOutOfRange { index: 0, size: 0 })
        );
        assert_eq!(
            tree.consistency_proof(0, 0),
            Err(MerkleError::InvalidSizes {
                old_size: 0,
                new_size: 0
            })
        );
        assert_eq!(
            verify_inclusion(&empty, 0, 0, &[], &empty),
            Err(MerkleError::IndexOutOfRange { index: 0, size: 0 })
        );
    }

    #[test]
    fn known_answer_roots() {
        let leaves = kat_leaf_hashes();
        let mut tree = MerkleTree::new();
        for (n, expected) in KAT_ROOTS.iter().enumerate() {
            assert_eq!(tree.push(leaves[n]), n as u64);
            assert_eq!(to_hex(&tree.root()), *expected, "size {}", n + 1);
            assert_eq!(to_hex(&root_of(&leaves[..=n])), *expected);
        }
        for (n, expected) in KAT_ROOTS.iter().enumerate() {
            assert_eq!(to_hex(&tree.root_at(n as u64 + 1).unwrap()), *expected);
        }
    }

    #[test]
    fn known_answer_inclusion_proofs() {
        let leaves = kat_leaf_hashes();
        let tree = tree_of(&leaves);
        let cases: [(u64, u64, &[&str]); 4] = [
            (
                0,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                5,
                8,
                &[
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                3,
                &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
            ),
            (
                1,
                5,
                &[
                    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        for (index, size, expected) in cases {
            let expected: Vec<Hash> = expected.iter().map(|s| h(s)).collect();
            assert_eq!(tree.inclusion_proof(index, size).unwrap(), expected);
            let root = h(KAT_ROOTS[size as usize - 1]);
            let leaf = leaves[index as usize];
            assert_eq!(
                verify_inclusion(&leaf, index, size, &expected, &root),
                Ok(())
            );
        }
    }

    #[test]
    fn known_answer_consistency_proofs() {
        let tree = tree_of(&kat_leaf_hashes());
        let cases: [(u64, u64, &[&str]); 4] = [
            (1, 1, &[]),
            (
                1,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                6,
                8,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                5,
                &[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        for (old, new, expected) in cases {
            let expected: Vec<Hash> = expected.iter().map(|s| h(s)).collect();
            assert_eq!(tree.consistency_proof(old, new).unwrap(), expected);
            let old_root = h(KAT_ROOTS[old as usize - 1]);
            let new_root = h(KAT_ROOTS[new as usize - 1]);
            assert_eq!(
                verify_consistency(old, new, &old_root, &new_root, &expected),
                Ok(())
            );
        }
    }

    #[test]
    fn roots_at_every_size_match_the_definition() {
        let leaves = leaves(130);
        let tree = tree_of(&leaves);
        for k in 0..=130u64 {
            assert_eq!(
                tree.root_at(k).unwrap(),
                root_of(&leaves[..k as usize]),
                "size {k}"
            );
        }
        assert_eq!(tree.root(), root_of(&leaves));
        assert_eq!(
            tree.root_at(131),
            Err(MerkleError::SizeOutOfRange {
                size: 131,
                len: 130
            })
        );
    }

    #[test]
    fn every_stored_node_is_its_subtree_root() {
        let leaves = leaves(100);
        let tree = tree_of(&leaves);
        for level in 0..8u32 {
            let width = 1usize << level;
            for index in 0..(100 / width) {
                let start = index * width;
                assert_eq!(
                    tree.node(level, index as u64),
                    Some(root_of(&leaves[start..start + width]))
                );
            }
            assert_eq!(tree.node(level, (100 / width) as u64), None);
        }
        assert_eq!(tree.leaf(99), Some(leaves[99]));
        assert_eq!(tree.leaf(100), None);
    }

    #[test]
    fn inclusion_proofs_match_the_definition_and_verify() {
        let leaves = leaves(64);
        let tree = tree_of(&leaves);
        for n in 1..=64u64 {
            let d = &leaves[..n as usize];
            let root = root_of(d);
            for m in 0..n {
                let proof = tree.inclusion_proof(m, n).unwrap();
                assert_eq!(proof, naive_path(m as usize, d), "leaf {m} of {n}");
                assert_eq!(
                    verify_inclusion(&leaves[m as usize], m, n, &proof, &root),
                    Ok(())
                );
            }
        }
    }

    #[test]
    fn consistency_proofs_match_the_definition_and_verify() {
        let leaves = leaves(64);
        let tree = tree_of(&leaves);
        for n in 1..=64u64 {
            let d = &leaves[..n as usize];
            let new_root = root_of(d);
            for m in 1..=n {
                let old_root = root_of(&leaves[..m as usize]);
                let proof = tree.consistency_proof(m, n).unwrap();
                assert_eq!(proof, naive_subproof(m as usize, d, true), "{m} -> {n}");
                assert_eq!(
                    verify_consistency(m, n, &old_root, &new_root, &proof),
                    Ok(())
                );
            }
        }
    }

    #[test]
    fn tampered_inclusion_proofs_fail() {
        let leaves = leaves(64);
        let tree = tree_of(&leaves);
        for n in 1..=64u64 {
            let root = tree.root_at(n).unwrap();
            for m in 0..n {
                let leaf = leaves[m as usize];
                let proof = tree.inclusion_proof(m, n).unwrap();
                // A flipped bit anywhere in any element.
                for e in 0..proof.len() {
                    for bit in [0, 77, 255] {
                        let bad = flip_bit(&proof, e, bit);
                        assert_eq!(
                            verify_inclusion(&leaf, m, n, &bad, &root),
                            Err(MerkleError::RootMismatch)
                        );
                    }
                }
                // The wrong leaf, or a flipped bit in the root.
                let other = leaves[((m + 1) % 64) as usize];
                assert!(verify_inclusion(&other, m, n, &proof, &root).is_err());
                let mut bad_root = root;
                bad_root[31] ^= 1;
                assert!(verify_inclusion(&leaf, m, n, &proof, &bad_root).is_err());
                // Any other index in range; out of range (index == size and beyond) is an error
                // before any hashing.
                for m2 in (0..n).filter(|&m2| m2 != m) {
                    assert!(verify_inclusion(&leaf, m2, n, &proof, &root).is_err());
                }
                for m2 in [n, n + 1, u64::MAX] {
                    assert_eq!(
                        verify_inclusion(&leaf, m2, n, &proof, &root),
                        Err(MerkleError::IndexOutOfRange { index: m2, size: n })
                    );
                }
                // Any other size: passes only where the definition gives the audit path the
                // same shape, so that the same hashes are combined in the same order (see the
                // module documentation); never for a size too small to hold the leaf.
                assert!(verify_inclusion(&leaf, m, 0, &proof, &root).is_err());
                for n2 in (1..=130u64).filter(|&n2| n2 != n) {
                    let same_shape = m < n2 && naive_directions(m, n2) == naive_directions(m, n);
                    assert_eq!(
                        verify_inclusion(&leaf, m, n2, &proof, &root).is_ok(),
                        same_shape,
                        "leaf {m}: proof for size {n} checked as size {n2}"
                    );
                }
                // Truncated and extended proofs.
                if !proof.is_empty() {
                    assert_eq!(
                        verify_inclusion(&leaf, m, n, &proof[..proof.len() - 1], &root),
                        Err(MerkleError::ProofLength)
                    );
                    assert_eq!(
                        verify_inclusion(&leaf, m, n, &proof[1..], &root),
                        Err(MerkleError::ProofLength)
                    );
                }
                for extra in [root, leaf, [0; 32]] {
                    let mut long = proof.clone();
                    long.push(extra);
                    assert_eq!(
                        verify_inclusion(&leaf, m, n, &long, &root),
                        Err(MerkleError::ProofLength)
                    );
                    let mut long = vec![extra];
                    long.extend_from_slice(&proof);
                    assert_eq!(
                        verify_inclusion(&leaf, m, n, &long, &root),
                        Err(MerkleError::ProofLength)
                    );
                }
            }
        }
    }

    #[test]
    fn wrong_size_inclusion_shapes_are_what_the_rfc_allows() {
        // The one family of legitimate ambiguity, written out for a reader: leaf 0's path in a
        // tree of 3 ([leaf 1, leaf 2]) is combined exactly as in a tree of 4.
        let leaves = leaves(4);
        let tree = tree_of(&leaves);
        let proof = tree.inclusion_proof(0, 3).unwrap();
        let root3 = tree.root_at(3).unwrap();
        assert_eq!(verify_inclusion(&leaves[0], 0, 4, &proof, &root3), Ok(()));
        // ... but not with the real root of 4 leaves.
        let root4 = tree.root_at(4).unwrap();
        assert!(verify_inclusion(&leaves[0], 0, 4, &proof, &root4).is_err());
        // The last leaf's path in a tree of 3 does not pass for a tree of 4.
        let proof = tree.inclusion_proof(2, 3).unwrap();
        assert!(verify_inclusion(&leaves[2], 2, 4, &proof, &root3).is_err());
    }

    #[test]
    fn tampered_consistency_proofs_fail() {
        let leaves = leaves(64);
        let tree = tree_of(&leaves);
        let roots: Vec<Hash> = (0..=64).map(|k| tree.root_at(k).unwrap()).collect();
        for n in 1..=64u64 {
            let new_root = roots[n as usize];
            for m in 1..=n {
                let old_root = roots[m as usize];
                let proof = tree.consistency_proof(m, n).unwrap();
                let verify = |m2: u64, n2: u64, old: &Hash, new: &Hash, p: &[Hash]| {
                    verify_consistency(m2, n2, old, new, p)
                };
                for e in 0..proof.len() {
                    for bit in [0, 100, 255] {
                        let bad = flip_bit(&proof, e, bit);
                        assert_eq!(
                            verify(m, n, &old_root, &new_root, &bad),
                            Err(MerkleError::RootMismatch),
                            "{m} -> {n}, element {e}"
                        );
                    }
                }
                let mut bad = old_root;
                bad[0] ^= 0x80;
                assert!(verify(m, n, &bad, &new_root, &proof).is_err());
                let mut bad = new_root;
                bad[0] ^= 0x80;
                assert!(verify(m, n, &old_root, &bad, &proof).is_err());
                // Swapped roots: only equal sizes have equal roots here.
                if m < n {
                    assert!(verify(m, n, &new_root, &old_root, &proof).is_err());
                    assert_eq!(
                        verify(n, m, &new_root, &old_root, &proof),
                        Err(MerkleError::InvalidSizes {
                            old_size: n,
                            new_size: m
                        })
                    );
                } else {
                    // m == n with a different root: fails, with or without a proof.
                    assert_eq!(
                        verify(m, n, &old_root, &roots[(n - 1) as usize], &[]),
                        Err(MerkleError::RootMismatch)
                    );
                    assert_eq!(
                        verify(m, n, &old_root, &new_root, &[new_root]),
                        Err(MerkleError::ProofLength)
                    );
                }
                // From the empty tree: no proof exists, none verifies.
                assert_eq!(
                    verify(0, n, &roots[0], &new_root, &proof),
                    Err(MerkleError::InvalidSizes {
                        old_size: 0,
                        new_size: n
                    })
                );
                assert!(verify(0, n, &roots[0], &new_root, &[]).is_err());
                // Truncated and extended proofs.
                if !proof.is_empty() {
                    assert!(verify(m, n, &old_root, &new_root, &proof[..proof.len() - 1]).is_err());
                    assert!(verify(m, n, &old_root, &new_root, &proof[1..]).is_err());
                }
                for extra in [old_root, new_root, [0; 32]] {
                    let mut long = proof.clone();
                    long.push(extra);
                    assert!(verify(m, n, &old_root, &new_root, &long).is_err());
                    let mut long = vec![extra];
                    long.extend_from_slice(&proof);
                    assert!(verify(m, n, &old_root, &new_root, &long).is_err());
                }
                // Neighbouring sizes with the same roots and proof: pass exactly where the
                // definition builds both roots from the proof in the same way (the exhaustive
                // check over all pairs of sizes is `wrong_size_consistency_...` below).
                let others = [
                    (m - 1, n),
                    (m + 1, n),
                    (m, n - 1),
                    (m, n + 1),
                    (m + 1, n + 1),
                    (m, 2 * n),
                    (2 * m, 2 * n),
                ];
                for (m2, n2) in others {
                    if m2 == 0 || m2 > n2 || (m2, n2) == (m, n) {
                        continue;
                    }
                    assert_eq!(
                        verify(m2, n2, &old_root, &new_root, &proof).is_ok(),
                        if m2 == n2 {
                            // Equal sizes need an empty proof and equal roots: only when m == n.
                            m == n
                        } else {
                            consistency_shapes_match(m, n, m2, n2)
                        },
                        "proof {m} -> {n} checked as {m2} -> {n2}"
                    );
                }
            }
        }
    }

    #[test]
    fn wrong_size_consistency_passes_only_where_the_definition_allows() {
        let leaves = leaves(32);
        let tree = tree_of(&leaves);
        let roots: Vec<Hash> = (0..=32).map(|k| tree.root_at(k).unwrap()).collect();
        let mut ambiguous = 0;
        for n in 1..=32u64 {
            for m in 1..=n {
                let (old_root, new_root) = (roots[m as usize], roots[n as usize]);
                let proof = tree.consistency_proof(m, n).unwrap();
                for n2 in 1..=40u64 {
                    for m2 in 1..=n2 {
                        if (m2, n2) == (m, n) {
                            continue;
                        }
                        let expected = if m2 == n2 {
                            // Equal sizes need an empty proof and equal roots: only when m == n.
                            m == n
                        } else {
                            consistency_shapes_match(m, n, m2, n2)
                        };
                        ambiguous += usize::from(expected);
                        assert_eq!(
                            verify_consistency(m2, n2, &old_root, &new_root, &proof).is_ok(),
                            expected,
                            "proof {m} -> {n} checked as {m2} -> {n2}"
                        );
                    }
                }
            }
        }
        // The ambiguity exists (e.g. 1 -> 3 checks as 1 -> 4), so the oracle is not vacuous.
        assert!(consistency_shapes_match(1, 3, 1, 4));
        assert!(ambiguous > 0);
    }

    #[test]
    fn bad_proof_requests_are_errors() {
        let tree = tree_of(&leaves(10));
        assert_eq!(
            tree.inclusion_proof(10, 10),
            Err(MerkleError::IndexOutOfRange {
                index: 10,
                size: 10
            })
        );
        assert_eq!(
            tree.inclusion_proof(3, 11),
            Err(MerkleError::SizeOutOfRange { size: 11, len: 10 })
        );
        assert_eq!(
            tree.inclusion_proof(u64::MAX, u64::MAX),
            Err(MerkleError::SizeOutOfRange {
                size: u64::MAX,
                len: 10
            })
        );
        assert_eq!(
            tree.consistency_proof(0, 5),
            Err(MerkleError::InvalidSizes {
                old_size: 0,
                new_size: 5
            })
        );
        assert_eq!(
            tree.consistency_proof(6, 5),
            Err(MerkleError::InvalidSizes {
                old_size: 6,
                new_size: 5
            })
        );
        assert_eq!(
            tree.consistency_proof(5, 11),
            Err(MerkleError::SizeOutOfRange { size: 11, len: 10 })
        );
        assert_eq!(tree.consistency_proof(10, 10), Ok(Vec::new()));
        let root = tree.root();
        assert!(verify_consistency(u64::MAX, u64::MAX, &root, &root, &[]).is_ok());
        assert!(verify_consistency(u64::MAX - 1, u64::MAX, &root, &root, &[root; 70]).is_err());
        assert!(verify_inclusion(&root, u64::MAX - 1, u64::MAX, &[root; 70], &root).is_err());
    }

    #[test]
    fn power_of_two_sizes() {
        let leaves = leaves(64);
        let tree = tree_of(&leaves);
        for p in 0..=6 {
            let n = 1u64 << p;
            let root = tree.root_at(n).unwrap();
            assert_eq!(root, tree.node(p, 0).unwrap());
            for m in 0..n {
                let proof = tree.inclusion_proof(m, n).unwrap();
                assert_eq!(proof.len(), p as usize);
                assert!(verify_inclusion(&leaves[m as usize], m, n, &proof, &root).is_ok());
            }
            // From a power-of-two size the proof leaves out the old root.
            for q in 0..p {
                let m = 1u64 << q;
                let proof = tree.consistency_proof(m, n).unwrap();
                assert_eq!(proof.len(), (p - q) as usize);
                let old_root = tree.root_at(m).unwrap();
                assert!(verify_consistency(m, n, &old_root, &root, &proof).is_ok());
                assert!(verify_consistency(m, n, &root, &root, &proof).is_err());
            }
        }
    }

    /// A node store as a database would hold it, to show the algorithms need only the trait.
    struct NodeTable {
        rows: HashMap<(u32, u64), Hash>,
        size: u64,
    }

    impl NodeSource for NodeTable {
        fn node(&self, level: u32, index: u64) -> Option<Hash> {
            self.rows.get(&(level, index)).copied()
        }
        fn size(&self) -> u64 {
            self.size
        }
    }

    #[test]
    fn generic_over_the_node_source() {
        let leaves = leaves(37);
        let tree = tree_of(&leaves);
        let mut rows = HashMap::new();
        for level in 0..6u32 {
            for index in 0..(37u64 >> level) {
                rows.insert((level, index), tree.node(level, index).unwrap());
            }
        }
        let mut table = NodeTable { rows, size: 37 };
        assert_eq!(tree_root(&table, 37), Ok(tree.root()));
        assert_eq!(
            prove_inclusion(&table, 20, 30),
            tree.inclusion_proof(20, 30)
        );
        assert_eq!(
            prove_consistency(&table, 7, 37),
            tree.consistency_proof(7, 37)
        );
        // A missing row is an error, not a panic.
        table.rows.remove(&(5, 0));
        assert_eq!(
            tree_root(&table, 37),
            Err(MerkleError::MissingNode { level: 5, index: 0 })
        );
        assert_eq!(tree_root(&table, 31).map(|_| ()), Ok(()));
        // Through the trait object too.
        let dynamic: &dyn NodeSource = &tree;
        assert_eq!(tree_root(dynamic, 37), Ok(tree.root()));
    }

    #[test]
    fn hex_round_trip() {
        let x = leaf_hash(b"yishiting");
        assert_eq!(from_hex(&to_hex(&x)), Some(x));
        assert_eq!(from_hex(&to_hex(&x).to_uppercase()), Some(x));
        assert_eq!(to_hex(&[0xab; 32]), "ab".repeat(32));
        assert_eq!(from_hex(""), None);
        assert_eq!(from_hex(&"0".repeat(63)), None);
        assert_eq!(from_hex(&"0".repeat(65)), None);
        assert_eq!(from_hex(&format!("{}g", "0".repeat(63))), None);
        assert_eq!(from_hex(&format!("{}é", "0".repeat(62))), None);
        assert_eq!(from_hex(&format!("+{}", "0".repeat(63))), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn proofs_match_a_naive_recomputation(
            data in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..300),
            a in any::<prop::sample::Index>(),
            b in any::<prop::sample::Index>(),
            c in any::<prop::sample::Index>(),
            bit in 0usize..256,
        ) {
            let leaves: Vec<Hash> = data.iter().map(|d| leaf_hash(d)).collect();
            let tree = tree_of(&leaves);
            let len = leaves.len();
            prop_assert_eq!(tree.root(), root_of(&leaves));

            // Inclusion of a leaf in some size that holds it.
            let n = 1 + b.index(len);
            let m = a.index(n);
            let d = &leaves[..n];
            let root = tree.root_at(n as u64).unwrap();
            prop_assert_eq!(root, root_of(d));
            let proof = tree.inclusion_proof(m as u64, n as u64).unwrap();
            prop_assert_eq!(&proof, &naive_path(m, d));
            prop_assert!(verify_inclusion(&leaves[m], m as u64, n as u64, &proof, &root).is_ok());
            if !proof.is_empty() {
                let e = c.index(proof.len());
                let bad = flip_bit(&proof, e, bit);
                prop_assert!(verify_inclusion(&leaves[m], m as u64, n as u64, &bad, &root).is_err());
            }

            // Consistency between two sizes.
            let old = 1 + a.index(n);
            let old_root = tree.root_at(old as u64).unwrap();
            let proof = tree.consistency_proof(old as u64, n as u64).unwrap();
            prop_assert_eq!(&proof, &naive_subproof(old, d, true));
            prop_assert!(verify_consistency(old as u64, n as u64, &old_root, &root, &proof).is_ok());
            if !proof.is_empty() {
                let e = c.index(proof.len());
                let bad = flip_bit(&proof, e, bit);
                prop_assert!(verify_consistency(old as u64, n as u64, &old_root, &root, &bad).is_err());
            }
        }
    }
}
