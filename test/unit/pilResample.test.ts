// Pillow's resize, bit for bit: golden outputs of Pillow 13.0.0 (the pinned .venv) for a 6 × 5 RGB image whose
// byte i is (37·i + 11) mod 256 — enlarging, shrinking, and one width up / height down (Pillow 13's vertical-first
// order) with each filter the processors use.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pilResize, type PilFilter } from '../../src/engine/families/pilResample';

const SOURCE = Uint8Array.from({ length: 6 * 5 * 3 }, (_, i) => (i * 37 + 11) % 256);

// [filter, width, height, Pillow's output bytes as hex]
const GOLDEN: [PilFilter, number, number, string][] = [
  ['bilinear', 9, 7, '0b305543688d8d87acd6264ba1466b6b908ab4d9297fa449365b806388ad52779c53658a9c658ab0557aaa5668929f688eb3588eb34688add26489ae476c915f84a99e678cc94a6f996287a0a16ab3d8463f6489779cc196bbe0355a7f557a9f9f99bee8385db3587d6a8fb4add2408aaf786c919784a936688d56566f949f87ac6a6b9021466badd2659c8a668b54618b9d497a9f44698e57698ea0587da2466b907398bdab5075ca1a3f69638889ae53a8cd1d476c66678cb19ec3e8'],
  ['bilinear', 8, 3, '4d72974e739878668bb950759e51769b96608eb353789d54789d89769bab698e9e5d7b6e857896ae658aa16d7d6a8f7b9fc47ba06965935d587da2557ea33a688d7b5b80a55c81a6'],
  ['bilinear', 4, 4, '44698ea2557a9784687ba0556c91b663789dae5d82a3a0688bb0787196697a7b906562879f7c798b705c799e52668bb0'],
  ['bilinear', 5, 2, '5e839f6d759698607fa57f6f88a06192a57884747374945b837e86607995'],
  ['bicubic', 9, 7, '001f44376c919698bdec12379f346957999bc5ef1580a44122478e6c91b649759a435c81a76b90c14c78af465f88aa6e89c05594b7399abfec6488b1335d835193bfac6991e336608b5496a0ac6bc9f334385d827ca1c6a2c7ec294e73457a9fa1a5caf72c51b552776096bbbfdb2588b7785d94a993ba195f8b433d60a2b196c067678f082c59bae1619e876185405b94ab427da83461884c6297b0507eaa426287659dd1b24773de052e585a9c8bc055bce107365b5d6287bcafd4f9'],
  ['bicubic', 8, 3, '496e9b44749b76668dc04a78a24b789d9c5c8fbc4e7a9f547fa38677a1b36294a4567f6884749cba5b91a7697c6592749fcc79a56164974f567ba8517ba933668e7d587caf587daa'],
  ['bicubic', 4, 4, '39678cad4b79988a6377a5506b91bf5778a5bd5181abaa668db5746d9c61797c97605888a3777790675675a847628cba'],
  ['bicubic', 5, 2, '5781a168789a9b5681aa816d86a35c97ab79866f746f9d54847b8b5e779c'],
  ['lanczos', 9, 7, '0010352c7499aa9ec2f81230901e6a52ada2cdfc10869e3a13399d7697b44272943e557aac728dd14573a6415a82b07383cc5593b0309fc7ff6b85b3275a803694cdb7749af12b5c8c37989fb270dfff3031567b82a7cca3c7ec2e4c71327a9fada7ccff2c51b44c71599dc2c3d50983bd825ba3b89abe104f85313460bfc49ccc6e6288001754c3ec649e815d80315198ab4786b226608146599db54c84b14a637d569edfb94670e3002d5147a28ad462c4e1003755495e7fc7bce3ff'],
  ['lanczos', 8, 3, '486aa240729c79638cbf447faa4a769c9c588fc04c82a45888ab8377a5b75697a5558666806f9ac5519fa66b7c62946b9bce71a763649b45577dac4974af3467927a5779b35176ab'],
  ['lanczos', 4, 4, '376d8bae46799c885e73ae4d698fc55478a9c14a83b0ad668fb877659c647c7f9462518ca5737498664c6ead475c8bbc'],
  ['lanczos', 5, 2, '5584a1677e9b9a5080ad827184a2589ba97e836c766ca45188758d61799e'],
];

test('pilResize equals Pillow 13 byte for byte', () => {
  for (const [filter, w, h, hex] of GOLDEN) {
    const got = pilResize(SOURCE, 6, 5, w, h, filter);
    assert.equal(Buffer.from(got).toString('hex'), hex, `${filter} 6×5 → ${w}×${h}`);
  }
});

test('the same size is a copy, never the same buffer', () => {
  const got = pilResize(SOURCE, 6, 5, 6, 5, 'bicubic');
  assert.deepEqual(got, SOURCE);
  assert.notEqual(got, SOURCE);
});
