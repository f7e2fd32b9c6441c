"""The IndexNet authors' state-dict names and ours, module by module.

The authors' ``hlmobilenetv2(decoder='indexnet', indexnet='depthwise',
index_mode='m2o', apply_aspp=True, ...)`` (``scripts/demo.py`` of
poppinace/indexnet_matting) is the network of ``IndexNetEncoder`` /
``IndexNetDecoder`` with other names. :func:`module_pairs` lists the
correspondence; shapes alone cannot fix it (the four blocks of an index layer
share shapes, so do three ASPP branches), the tests check it numerically.
"""
from typing import Iterable, List, Mapping, Optional, Tuple

# Sub-module indices inside the authors' nn.Sequential blocks (ReLU6 layers
# in between hold no weights) -> our module names.
CONV_BN = {'0': 'conv', '1': 'bn'}
DEPTHWISE_SEPARABLE = {
    '0': 'depthwise_conv.conv',
    '1': 'depthwise_conv.bn',
    '3': 'pointwise_conv.conv',
    '4': 'pointwise_conv.bn'
}
INVERTED_RESIDUAL = {
    '0': '0.conv',
    '1': '0.bn',
    **{
        i: f'1.{name}'
        for i, name in zip('3467', DEPTHWISE_SEPARABLE.values())
    }
}
INDEX_BLOCK = {'0': '0.conv', '1': '0.bn', '3': '1.conv'}

# Blocks in the authors' layer1..layer7 (MobileNetV2, width 1).
ENCODER_BLOCKS = (1, 2, 3, 4, 3, 3, 1)
# index{n} learns the indices of encoder layer n.
INDEXED_LAYERS = (0, 2, 3, 4, 6)
NUM_INDEX_BLOCKS = 4  # M2O depthwise: indexnet1..indexnet4
NUM_DECODER_LAYERS = 7  # decoder_layer6 (deepest) .. decoder_layer0


def module_pairs() -> List[Tuple[str, str]]:
    """(authors' module, our module) for every module holding weights.

    Our names are relative to the mattor (``backbone.encoder`` /
    ``backbone.decoder``); the order is module order in both networks.
    """
    enc, dec = 'backbone.encoder', 'backbone.decoder'
    pairs = [(f'layer0.{i}', f'{enc}.layers.0.{name}')
             for i, name in CONV_BN.items()]
    for layer, blocks in enumerate(ENCODER_BLOCKS, start=1):
        inside = DEPTHWISE_SEPARABLE if layer == 1 else INVERTED_RESIDUAL
        pairs += [(f'layer{layer}.{b}.conv.{i}',
                   f'{enc}.layers.{layer}.{b}.conv.{name}')
                  for b in range(blocks) for i, name in inside.items()]
    pairs += [(f'index{layer}.indexnet{n + 1}.{i}',
               f'{enc}.index_layers.{j}.index_blocks.{n}.{name}')
              for j, layer in enumerate(INDEXED_LAYERS)
              for n in range(NUM_INDEX_BLOCKS)
              for i, name in INDEX_BLOCK.items()]
    # ASPP: a 1x1 branch, three separable dilated branches, image pooling.
    pairs += [(f'dconv_pp.aspp1.atrous_conv.{i}',
               f'{enc}.dconv.convs.0.{name}') for i, name in CONV_BN.items()]
    pairs += [(f'dconv_pp.aspp{a}.atrous_conv.{i}',
               f'{enc}.dconv.convs.{a - 1}.{name}') for a in (2, 3, 4)
              for i, name in DEPTHWISE_SEPARABLE.items()]
    pairs += [('dconv_pp.global_avg_pool.1', f'{enc}.dconv.convs.4.1.conv'),
              ('dconv_pp.global_avg_pool.2', f'{enc}.dconv.convs.4.1.bn')]
    pairs += [(f'dconv_pp.bottleneck_conv.{i}',
               f'{enc}.dconv.project.0.{name}') for i, name in CONV_BN.items()]
    pairs += [
        (f'decoder_layer{k}.dconv.{i}',
         f'{dec}.decoder_layers.{NUM_DECODER_LAYERS - 1 - k}.conv.{name}')
        for k in reversed(range(NUM_DECODER_LAYERS))
        for i, name in CONV_BN.items()
    ]
    pairs += [(f'pred.0.{i}', f'{dec}.pred.0.{name}')
              for i, name in CONV_BN.items()]
    pairs.append(('pred.1', f'{dec}.pred.1'))
    return pairs


def rename_key(key: str, modules: Mapping[str, str]) -> Optional[str]:
    """``key`` with its module renamed by ``modules``; None if unknown."""
    module, _, tensor = key.rpartition('.')
    return f'{modules[module]}.{tensor}' if module in modules else None


def is_original_state(keys: Iterable[str]) -> bool:
    """Whether state-dict keys (``module.`` removed) include the authors'
    names."""
    modules = dict(module_pairs())
    return any(rename_key(key, modules) for key in keys)
