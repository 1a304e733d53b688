//! The `ProvregCollection` contract and its clients on a real anvil, with the fixture
//! circuit's generated EZKL verifier and real proofs: what mints, what reverts with nothing
//! minted, roles, ERC-4906 updates, ERC-165, and the seed rule's shared vectors.

use alloy::primitives::{Address, B256, U256};
use provreg_anchor::devchain::Anvil;
use provreg_anchor::{
    AnchorError, CollectionClient, CollectionParams, CollectionReader, CollectionRevert, SEED_VECTORS_JSON, SeedMode,
    aigc_data_from_field_elements,
};
use provreg_prover_client::{ProofRecord, field, seed};
use serde_json::Value;

use crate::support;
use crate::zk::fixture;

const DEPLOYER: usize = 0;
const MINTER: usize = 1;
const REGISTRY: usize = 2;
const STRANGER: usize = 3;
/// A mint attempt that must fail: what is wrong, the seed, the traits and the proof.
type Tampered<'a> = (&'a str, &'a [u8; 32], &'a [u8], &'a [u8]);

const REGISTRY_URL: &str = "http://127.0.0.1:8080/";

fn signer(anvil: &Anvil, account: usize, collection: Option<Address>) -> CollectionClient {
    CollectionClient::connect(&anvil.endpoint(), &anvil.private_key_hex(account).unwrap(), collection).unwrap()
}

fn params(anvil: &Anvil, verifier: Address, input_len: u32, input_scale: u32, output_len: u32) -> CollectionParams {
    CollectionParams {
        name: "Pixel traits".into(),
        symbol: "PXT".into(),
        verifier,
        circuit_commitment: B256::repeat_byte(0xc1),
        input_len,
        input_scale,
        output_len,
        registry_url: REGISTRY_URL.into(),
        minter: anvil.addresses()[MINTER],
        registry: anvil.addresses()[REGISTRY],
        seeds: SeedMode::Operator,
    }
}

fn reverted(result: Result<impl std::fmt::Debug, AnchorError>) -> CollectionRevert {
    match result {
        Err(AnchorError::CollectionReverted(why)) => why,
        other => panic!("expected a collection revert, got {other:?}"),
    }
}

fn traits(record: &ProofRecord) -> Vec<u8> {
    aigc_data_from_field_elements(&record.public_outputs).unwrap()
}

/// The verifier and a collection of the fixture circuit (minter and registry accounts 1 and
/// 2): the minter's client and a reader.
async fn deployed(anvil: &Anvil) -> (CollectionClient, CollectionReader) {
    let fx = fixture();
    let deployer = signer(anvil, DEPLOYER, None);
    let hash = B256::from(fx.verifier.runtime_code_hash);
    let verifier = deployer.deploy_verifier(&fx.verifier.creation_code, hash, None).await.unwrap();
    assert_eq!(verifier.code_hash, hash);
    let c = &fx.circuit;
    let mut deployer = deployer;
    let p = params(anvil, verifier.address, c.input_len as u32, c.input_scale, c.output_len as u32);
    let collection = deployer.deploy(&p).await.unwrap();
    let minter = signer(anvil, MINTER, Some(collection.address));
    let reader = minter.reader().unwrap();
    (minter, reader)
}

#[test]
fn seed_vectors_match_the_prover_client() {
    let vectors: Value = serde_json::from_str(SEED_VECTORS_JSON).unwrap();
    let cases = vectors["cases"].as_array().unwrap();
    assert!(cases.len() >= 4);
    for case in cases {
        let s = seed::parse_seed(case["seed"].as_str().unwrap()).unwrap();
        let (len, scale) = (case["inputLen"].as_u64().unwrap() as usize, case["inputScale"].as_u64().unwrap() as u32);
        let input = seed::model_input(&s, len, scale).unwrap();
        assert_eq!(input.len(), len);
        for (i, v) in input.iter().enumerate() {
            let n = case["integers"][i].as_i64().unwrap();
            assert_eq!(f64::from(*v) * 2f64.powi(scale as i32), n as f64, "{case}: integer {i}");
            // EZKL's little-endian felt, read as the big-endian uint256 the chain sees.
            let mut felt = hex::decode(field::quantise(f64::from(*v), scale).unwrap()).unwrap();
            felt.reverse();
            assert_eq!(format!("0x{}", hex::encode(felt)), case["instances"][i].as_str().unwrap(), "{case}: felt {i}");
        }
    }
}

#[tokio::test]
async fn seed_vectors_match_the_contract() {
    let Some(anvil) = support::anvil() else { return };
    let mut deployer = signer(&anvil, DEPLOYER, None);
    // `instances` never calls the verifier; any account with code will do as one here.
    let mut anchor = support::client(&anvil, STRANGER, None);
    let stand_in = anchor.deploy().await.unwrap();
    let vectors: Value = serde_json::from_str(SEED_VECTORS_JSON).unwrap();
    for case in vectors["cases"].as_array().unwrap() {
        let (len, scale) = (case["inputLen"].as_u64().unwrap() as u32, case["inputScale"].as_u64().unwrap() as u32);
        let collection = deployer.deploy(&params(&anvil, stand_in, len, scale, 0)).await.unwrap();
        let reader = CollectionReader::connect(&anvil.endpoint(), collection.address).unwrap();
        let s = seed::parse_seed(case["seed"].as_str().unwrap()).unwrap();
        let got: Vec<String> = reader.instances(&s, &[]).await.unwrap().iter().map(|v| format!("{v:#066x}")).collect();
        let expected: Vec<&str> = case["instances"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(got, expected, "{case}");
    }
    // A scale above the seed rule's largest and a verifier without code are refused.
    let too_fine = deployer.deploy(&params(&anvil, stand_in, 8, 21, 4)).await;
    assert_eq!(reverted(too_fine), CollectionRevert::InvalidParameters);
    let no_code = deployer.deploy(&params(&anvil, Address::repeat_byte(0x11), 8, 13, 4)).await;
    assert_eq!(reverted(no_code), CollectionRevert::InvalidParameters);
}

#[tokio::test]
async fn the_deployed_verifier_is_the_circuits_and_deploying_again_reuses_it() {
    let fx = fixture();
    let Some(anvil) = support::anvil() else { return };
    let deployer = signer(&anvil, DEPLOYER, None);
    let hash = B256::from(fx.verifier.runtime_code_hash);
    let first = deployer.deploy_verifier(&fx.verifier.creation_code, hash, None).await.unwrap();
    assert!(first.deployment.is_some());
    let reader = CollectionReader::connect(&anvil.endpoint(), first.address).unwrap();
    assert_eq!(reader.code_hash_at(first.address).await.unwrap(), hash, "the chain holds the generated code");

    // With the recorded address nothing is sent.
    let again = deployer.deploy_verifier(&fx.verifier.creation_code, hash, Some(first.address)).await.unwrap();
    assert_eq!((again.address, again.deployment), (first.address, None));
    // A recorded address with other code, or none, is refused.
    for wrong in [Address::repeat_byte(0x22), support::client(&anvil, STRANGER, None).deploy().await.unwrap()] {
        let err = deployer.deploy_verifier(&fx.verifier.creation_code, hash, Some(wrong)).await.unwrap_err();
        assert!(matches!(err, AnchorError::CodeMismatch { address, .. } if address == wrong), "{err:?}");
    }
    // Creation code whose runtime is not the expected one.
    let err = deployer.deploy_verifier(&fx.verifier.creation_code, B256::repeat_byte(1), None).await.unwrap_err();
    assert!(matches!(err, AnchorError::CodeMismatch { .. }), "{err:?}");
}

#[tokio::test]
async fn a_valid_proof_mints_and_every_other_reverts_with_nothing_minted() {
    let fx = fixture();
    let Some(anvil) = support::anvil() else { return };
    let (minter, reader) = deployed(&anvil).await;
    let token = U256::from(1);
    let (seed, proof, aigc) = (fx.seed, &fx.proof.proof, traits(&fx.proof));
    assert!(reader.verify(&seed, &aigc, proof).await.unwrap());

    // The instances the contract computes are the proof's public values.
    let expected: Vec<U256> = fx
        .proof
        .public_inputs
        .iter()
        .chain(&fx.proof.public_outputs)
        .map(|f| U256::from_le_slice(&hex::decode(f).unwrap()))
        .collect();
    assert_eq!(reader.instances(&seed, &aigc).await.unwrap(), expected);

    let mut flipped = proof.clone();
    flipped[100] ^= 0x01;
    let mut changed_traits = aigc.clone();
    changed_traits[31] ^= 0x01;
    let other_seed_aigc = traits(&fx.other_seed_proof);
    let other_model_aigc = traits(&fx.other_model_proof);
    let rows: [Tampered; 5] = [
        ("one proof byte changed", &seed, &aigc, &flipped),
        ("another seed's proof", &seed, &other_seed_aigc, &fx.other_seed_proof.proof),
        ("another seed's proof, its traits", &seed, &aigc, &fx.other_seed_proof.proof),
        ("changed traits", &seed, &changed_traits, proof),
        ("the other model's proof of this seed", &seed, &other_model_aigc, &fx.other_model_proof.proof),
    ];
    for (what, seed, aigc, proof) in rows {
        assert!(!reader.verify(seed, aigc, proof).await.unwrap(), "verify accepts {what}");
        let refused = minter.add_aigc_data(token, seed, aigc, proof).await;
        assert_eq!(reverted(refused), CollectionRevert::ProofRejected, "{what}");
    }
    // The other seed's own proof is valid, but not with this seed as prompt (checked above)
    // and with its own seed it verifies: the rows fail for the reason they name.
    assert!(reader.verify(&fx.other_seed, &other_seed_aigc, &fx.other_seed_proof.proof).await.unwrap());
    // Malformed traits.
    assert_eq!(
        reverted(minter.add_aigc_data(token, &seed, &aigc[..96], proof).await),
        CollectionRevert::InvalidAigcData
    );
    assert!(!reader.verify(&seed, &aigc[..96], proof).await.unwrap());
    // Only the minter mints.
    let stranger = signer(&anvil, STRANGER, minter.address());
    assert_eq!(reverted(stranger.add_aigc_data(token, &seed, &aigc, proof).await), CollectionRevert::NotMinter);
    assert_eq!(reader.owner_of(token).await.unwrap(), None, "nothing was minted");
    assert_eq!(reverted(reader.token_uri(token).await), CollectionRevert::NonexistentToken(token));

    let minted = minter.add_aigc_data(token, &seed, &aigc, proof).await.unwrap();
    assert_eq!(reader.owner_of(token).await.unwrap(), Some(anvil.addresses()[MINTER]));
    let uri = reader.token_uri(token).await.unwrap();
    let collection = format!("{:#x}", reader.address());
    assert_eq!(uri, format!("http://127.0.0.1:8080/tokens/31337/{collection}/1"));
    let event = reader.minted_token(token, 0).await.unwrap().expect("an AigcData event");
    assert!(event.matches(&seed, &aigc, proof));
    assert!(!event.matches(&fx.other_seed, &aigc, proof));
    assert_eq!(event.seed, Some(B256::from(seed)));
    assert_eq!(event.aigc_data.as_ref().map(|d| &d[..]), Some(&aigc[..]));
    assert_eq!((event.tx_hash, event.block_number), (Some(minted.tx_hash), Some(minted.block_number)));
    assert_eq!(reader.minted_token(U256::from(2), 0).await.unwrap(), None);

    // A token is minted once.
    assert_eq!(reverted(minter.add_aigc_data(token, &seed, &aigc, proof).await), CollectionRevert::TokenExists(token));

    let params = reader.params().await.unwrap();
    assert_eq!((params.input_len, params.output_len, params.input_scale), (8, 4, fx.circuit.input_scale));
    assert_eq!((params.minter, params.registry), (anvil.addresses()[MINTER], anvil.addresses()[REGISTRY]));
    assert_eq!(params.registry_url, "http://127.0.0.1:8080");

    // Gas: the first mint also makes the minter's balance slot; a later one overwrites it.
    let started = std::time::Instant::now();
    let second = minter.add_aigc_data(U256::from(2), &fx.other_seed, &other_seed_aigc, &fx.other_seed_proof.proof);
    let second = second.await.unwrap();
    // Estimating (the proof is checked once there), sending, and the receipt of the automined block.
    eprintln!(
        "time: a later mint on anvil, from sending to its receipt, {:.1} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    let verification = reader.verification_gas(&seed, &aigc, proof).await.unwrap();
    // LOG4 of the AigcData event: 375 + 4 × 375 + 8 per byte of its data (offset, length, proof).
    let event = 375 + 4 * 375 + 8 * (64 + proof.len().div_ceil(32) as u64 * 32);
    for (which, mint) in [("first", minted.gas_used), ("later", second.gas_used)] {
        eprintln!(
            "gas: {which} mint {mint} = verification (verifyProof alone, as a transaction) {verification} + AigcData \
             event {event} + the rest (ERC-721 storage, Transfer, seed rule, calldata) {}",
            mint.saturating_sub(verification + event)
        );
        assert!(mint > verification + event, "the mint includes the verification and the event");
    }
}

#[tokio::test]
async fn only_the_registry_emits_metadata_updates() {
    let Some(anvil) = support::anvil() else { return };
    let (minter, reader) = deployed(&anvil).await;
    let registry = signer(&anvil, REGISTRY, minter.address());
    let (one, five) = (U256::from(1), U256::from(5));
    assert_eq!(reverted(minter.batch_update_metadata(one, five).await), CollectionRevert::NotRegistry);
    assert_eq!(reverted(minter.update_metadata(one).await), CollectionRevert::NotRegistry);
    assert_eq!(
        reverted(registry.batch_update_metadata(five, one).await),
        CollectionRevert::InvalidRange { from: five, to: one }
    );
    assert!(reader.metadata_updates(0).await.unwrap().is_empty());

    let batch = registry.batch_update_metadata(one, five).await.unwrap();
    let single = registry.update_metadata(U256::from(9)).await.unwrap();
    let updates = reader.metadata_updates(0).await.unwrap();
    let ranges: Vec<(U256, U256, Option<_>)> = updates.iter().map(|u| (u.from_token, u.to_token, u.tx_hash)).collect();
    assert_eq!(ranges, [(one, five, Some(batch.tx_hash)), (U256::from(9), U256::from(9), Some(single.tx_hash))]);
    eprintln!("gas: BatchMetadataUpdate {} (MetadataUpdate {})", batch.gas_used, single.gas_used);
}

#[tokio::test]
async fn supports_erc721_erc7007_and_erc4906() {
    let Some(anvil) = support::anvil() else { return };
    let (_, reader) = deployed(&anvil).await;
    for (id, name) in [
        (0x80ac58cdu32, "ERC-721"),
        (0x5b5e139f, "ERC-721 metadata"),
        (0x01ffc9a7, "ERC-165"),
        (0x702c55a6, "ERC-7007"),
        (0x49064906, "ERC-4906"),
    ] {
        assert!(reader.supports_interface(id.to_be_bytes()).await.unwrap(), "{name}");
    }
    assert!(!reader.supports_interface([0xff; 4]).await.unwrap());
    assert!(!reader.supports_interface([0x12, 0x34, 0x56, 0x78]).await.unwrap());
}

/// Waits until the chain's head is at least `block` (the chain mines a block a second).
async fn wait_for_block(reader: &CollectionReader, block: u64) {
    for _ in 0..100 {
        if reader.block_number().await.unwrap() >= block {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("block {block} never came");
}

/// `CHAIN` seeds: the minter commits to a range, the randomness is the hash of the block
/// `delay` after the commitment and is revealed once that block is mined (by anyone, once),
/// `seedOf` is the seed crate's derivation, ranges must increase, and a mint with any other
/// seed (here a valid proof of another seed) reverts with nothing minted.
#[tokio::test]
async fn chain_seeds_are_committed_revealed_from_a_later_block_and_enforced() {
    if provreg_anchor::devchain::locate_anvil().is_none() && support::may_skip("anvil") {
        return;
    }
    let anvil = Anvil::spawn_mining(1).unwrap();
    let fx = fixture();
    let mut deployer = signer(&anvil, DEPLOYER, None);
    let hash = B256::from(fx.verifier.runtime_code_hash);
    let verifier = deployer.deploy_verifier(&fx.verifier.creation_code, hash, None).await.unwrap();
    let c = &fx.circuit;
    let base = params(&anvil, verifier.address, c.input_len as u32, c.input_scale, c.output_len as u32);
    // A delay of 0 or above 128, or a delay with other sources, is refused.
    for bad in [SeedMode::Chain { delay: 0 }, SeedMode::Chain { delay: 129 }] {
        let p = CollectionParams { seeds: bad, ..base.clone() };
        assert_eq!(reverted(deployer.deploy(&p).await), CollectionRevert::InvalidParameters, "{bad:?}");
    }
    let p = CollectionParams { seeds: SeedMode::Chain { delay: 2 }, ..base.clone() };
    let address = deployer.deploy(&p).await.unwrap().address;
    let minter = signer(&anvil, MINTER, Some(address));
    let stranger = signer(&anvil, STRANGER, Some(address));
    let reader = minter.reader().unwrap();
    assert_eq!(reader.seed_mode().await.unwrap(), SeedMode::Chain { delay: 2 });
    assert_eq!(reader.params().await.unwrap().seeds, SeedMode::Chain { delay: 2 });

    assert_eq!(reverted(stranger.commit_seeds(1, 3).await), CollectionRevert::NotMinter);
    assert_eq!(reader.seed_commitment_of(U256::from(1)).await.unwrap(), None);
    let (id, commit) = minter.commit_seeds(1, 3).await.unwrap();
    assert_eq!(id, 0);
    let committed = reader.seed_commitment_of(U256::from(2)).await.unwrap().unwrap();
    assert_eq!((committed.first_token_id, committed.count, committed.commit_block), (1, 3, commit.block_number));
    assert_eq!(committed.randomness, None);
    // Not revealed yet: no seed, no mint.
    let early = reader.seed_of(U256::from(1)).await;
    assert_eq!(reverted(early), CollectionRevert::SeedsNotRevealed(U256::ZERO));
    // Overlapping, empty, earlier and too long ranges are refused.
    for (first, count) in [(3, 2), (4, 0), (0, 1), (4, 100_001)] {
        let e = reverted(minter.commit_seeds(first, count).await);
        assert!(matches!(e, CollectionRevert::InvalidSeedRange { .. }), "{first}+{count}: {e:?}");
    }
    assert_eq!(reverted(reader.seed_of(U256::from(9)).await), CollectionRevert::SeedNotCommitted(U256::from(9)));

    // Revealed by anyone once block commit + 2 is mined; its hash is the randomness.
    let randomness_block = commit.block_number + 2;
    let head = reader.block_number().await.unwrap();
    if head <= randomness_block {
        let e = reverted(stranger.reveal_seeds(0).await);
        assert!(matches!(e, CollectionRevert::RandomnessNotMined { .. }), "{e:?}");
    }
    wait_for_block(&reader, randomness_block + 1).await;
    let reveal = stranger.reveal_seeds(0).await.unwrap();
    assert_eq!(reverted(minter.reveal_seeds(0).await), CollectionRevert::SeedsAlreadyRevealed(U256::ZERO));
    let (block_hash, _) = reader.block(randomness_block).await.unwrap().unwrap();
    let revealed = reader.seed_commitment(0).await.unwrap().unwrap();
    assert_eq!(revealed.randomness, Some(block_hash));
    let events = reader.seed_events(0, 0).await.unwrap().unwrap();
    assert_eq!(events.commit_tx, Some(commit.tx_hash));
    assert_eq!(events.randomness_block, randomness_block);
    assert_eq!(events.reveal, Some((reveal.tx_hash, reveal.block_number)));

    let contract: [u8; 20] = address.into();
    for t in 1..=3u64 {
        let expected = provreg_seed::chain_seed(31337, &contract, &block_hash.0, t);
        assert_eq!(reader.seed_of(U256::from(t)).await.unwrap().0, expected, "token {t}");
    }
    // A valid proof of another seed does not mint token 1.
    let aigc = traits(&fx.proof);
    let wrong = minter.add_aigc_data(U256::from(1), &fx.seed, &aigc, &fx.proof.proof).await;
    assert!(matches!(reverted(wrong), CollectionRevert::WrongSeed { .. }));
    assert_eq!(reader.owner_of(U256::from(1)).await.unwrap(), None);
    // Token 2 before token 1, with its own seed: a committed range is minted in order.
    let seed_2 = reader.seed_of(U256::from(2)).await.unwrap().0;
    let early = minter.add_aigc_data(U256::from(2), &seed_2, &aigc, &fx.proof.proof).await;
    assert_eq!(reverted(early), CollectionRevert::NotNextToken { token_id: U256::from(2), expected: U256::from(1) });
    // Token 1 with its own seed reaches the proof check (this proof is of another seed).
    let seed_1 = reader.seed_of(U256::from(1)).await.unwrap().0;
    let rejected = minter.add_aigc_data(U256::from(1), &seed_1, &aigc, &fx.proof.proof).await;
    assert_eq!(reverted(rejected), CollectionRevert::ProofRejected);
    assert_eq!(reader.seed_commitment(0).await.unwrap().unwrap().minted, 0);
    // Nor does a token outside every committed range.
    let outside = minter.add_aigc_data(U256::from(7), &fx.seed, &aigc, &fx.proof.proof).await;
    assert_eq!(reverted(outside), CollectionRevert::SeedNotCommitted(U256::from(7)));

    // Operator collections take no commitments.
    let operator = deployer.deploy(&base).await.unwrap().address;
    let operator_minter = signer(&anvil, MINTER, Some(operator));
    assert_eq!(reverted(operator_minter.commit_seeds(1, 1).await), CollectionRevert::NoSeedCommitments);
}
