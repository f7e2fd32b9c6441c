# The paper's model: the IndexNet authors' own checkpoint
# (poppinace/indexnet_matting, pretrained/indexnet_matting.pth.tar), evaluated
# with their test protocol -- the row M2O DINs (paper), SAD 45.8 / MSE 0.013 /
# GRAD 25.9 / CONN 43.7 on Adobe Composition-1k.
#
# Same network as indexnet_mobv2.py; only the test-time protocol differs
# (indexnet_plugin/models/original_protocol.py): resize UP to multiples of 32
# with OpenCV cubic (trimap nearest), OpenCV cubic back, every pixel whose
# trimap is not 128 takes the trimap's value, alpha truncated to uint8.
#
# Convert the authors' file once, then evaluate or predict:
#   python tools/convert_original_checkpoint.py indexnet_matting.pth.tar \
#     indexnet_mobv2_original.pth
#   mim test mmedit configs/indexnet_mobv2_original.py \
#     --checkpoint indexnet_mobv2_original.pth
#   indexnet-predict image.png trimap.png \
#     --config configs/indexnet_mobv2_original.py \
#     --checkpoint indexnet_mobv2_original.pth -o alphas
# Training with this config trains as indexnet_mobv2.py does.
_base_ = ['./indexnet_mobv2.py']

experiment_name = 'indexnet_mobv2_original'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(
    test_cfg=dict(_delete_=True, protocol='original', size_divisor=32))
