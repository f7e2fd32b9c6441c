"""Tests of tools/demo.py's console: log parsing, stages, skips, failures
(no training: the stages' commands are small Python scripts)."""
import importlib.util
import os
import os.path as osp
import sys
import textwrap

import pytest
from helpers.paths import REPO

_spec = importlib.util.spec_from_file_location(
    'demo', osp.join(REPO, 'tools', 'demo.py'))
demo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(demo)

# The end of a real `mim test mmedit configs/indexnet_demo.py` log (logger
# interval 1, random weights): four progress lines, then the metrics.
MIM_TEST_LOG = textwrap.dedent("""\
    11/30 02:53:16 - mmengine - INFO - Load checkpoint from /tmp/snip/iter_1.pth
    11/30 02:53:25 - mmengine - INFO - Iter(test) [1/4]    eta: 0:00:26  time: 8.9540  data_time: 0.5202  
    11/30 02:53:34 - mmengine - INFO - Iter(test) [2/4]    eta: 0:00:17  time: 8.6703  data_time: 0.2835  
    11/30 02:53:43 - mmengine - INFO - Iter(test) [3/4]    eta: 0:00:08  time: 8.8159  data_time: 0.1959  
    11/30 02:53:49 - mmengine - INFO - Iter(test) [4/4]    eta: 0:00:00  time: 8.0994  data_time: 0.1504  
    11/30 02:53:49 - mmengine - INFO - Iter(test) [4/4]    SAD: 12.1711  MattingMSE: 0.1085  GradientError: 24.7179  ConnectivityError: 11.6376  data_time: 0.1504  time: 8.0994
    """)  # noqa: E501, W291
# Lines of a real `mim train` log of the demo config.
TRAIN_LINE = ('11/30 02:52:15 - mmengine - INFO - Iter(train) [ 15/300]  '
              'lr: 1.9991e-03  eta: 0:39:45  time: 8.3888  data_time: 0.0625'
              '  loss: 0.3243  loss_alpha: 0.1596  loss_comp: 0.1648')
EXP_LINE = '11/30 02:50:28 - mmengine - INFO - Exp name: indexnet_demo_2026'


class TestLogParsing:

    def test_metrics_from_mim_test_log(self):
        assert demo.test_metrics(MIM_TEST_LOG) == {
            'SAD': 12.1711,
            'MSE': 0.1085,
            'GRAD': 24.7179,
            'CONN': 11.6376
        }

    def test_metrics_missing(self):
        progress_only = MIM_TEST_LOG.splitlines()[:-1]
        with pytest.raises(ValueError) as error:
            demo.test_metrics('\n'.join(progress_only))
        assert str(error.value) == (
            'the log has no Iter(test) line with SAD, MattingMSE, '
            'GradientError, ConnectivityError')

    def test_test_progress(self):
        done = [demo.test_progress(line) for line in MIM_TEST_LOG.splitlines()]
        assert done == [None, 1, 2, 3, 4, 4]

    def test_train_progress(self):
        assert demo.train_progress(TRAIN_LINE) == (15, 300, 0.3243)
        assert demo.train_progress(EXP_LINE) is None
        # the validation at the end of training is not a training step
        assert demo.train_progress(
            MIM_TEST_LOG.replace('test', 'val').splitlines()[-1]) is None

    def test_metrics_table(self):
        table = demo.metrics_table(demo.test_metrics(MIM_TEST_LOG), 4)
        assert table.splitlines() == [
            "  metric  value    (lower is better; mmedit's evaluators on 4 "
            'test images)', '  SAD     12.17', '  MSE     0.1085',
            '  GRAD    24.72', '  CONN    11.64'
        ]

    def test_read_log_keeps_last_redraw_of_progress_bars(self, tmp_path):
        log = tmp_path / 'stage.log'
        log.write_text('one\n 0%| 0/4\r 50%| 2/4\r100%| 4/4\nerror: boom\n')
        assert demo.read_log(str(log)) == ['one', '100%| 4/4', 'error: boom']

    def test_failure_report_ends_with_the_cause(self, tmp_path):
        """mim's own traceback comes last in the log; the report still
        names the tool's error first (lines of a real failed `mim train`,
        shortened)."""
        log = tmp_path / 'train.log'
        log.write_text(
            textwrap.dedent("""\
            Traceback (most recent call last):
              File "indexnet_plugin/models/encoder.py", line 211, in __init__
                raise ValueError(
            ValueError: index_mode must be one of ('holistic', 'o2o', 'm2o'), got 'oso'
            Traceback (most recent call last):
              File "mim/commands/train.py", line 261, in train
                ret = subprocess.check_call(
                      ^^^^^^^^^^^^^^^^^^^^^^
            subprocess.CalledProcessError: Command '[...]' returned non-zero exit status 1.
            """))  # noqa: E501
        report = demo.failure_report(
            demo.StageFailed('train', 1, str(log)), lines=3).splitlines()
        assert report == [
            '[demo] the train stage failed (exit status 1); the end of '
            f'{osp.relpath(str(log), REPO)}:',
            '    ret = subprocess.check_call(',
            '          ^^^^^^^^^^^^^^^^^^^^^^',
            "subprocess.CalledProcessError: Command '[...]' returned non-zero "
            'exit status 1.',
            '[demo] errors in the log:',
            'ValueError: index_mode must be one of '
            "('holistic', 'o2o', 'm2o'), got 'oso'",
            "subprocess.CalledProcessError: Command '[...]' returned non-zero "
            'exit status 1.',
        ]

    @pytest.mark.parametrize('seconds,text', [(4.4, '4 s'),
                                              (59.6, '1 min 00 s'),
                                              (312, '5 min 12 s')])
    def test_format_duration(self, seconds, text):
        assert demo.format_duration(seconds) == text


def script(tmp_path, body: str) -> list:
    path = tmp_path / 'stage.py'
    path.write_text(textwrap.dedent(body))
    return [sys.executable, str(path)]


class TestRunStage:

    def test_bar_follows_the_log(self, tmp_path, capsys):
        command = script(
            tmp_path, f"""\
            for line in {TRAIN_LINE.replace('15/300', '1/3')!r}, \\
                    {EXP_LINE!r}, {TRAIN_LINE.replace('15/300', '3/3')!r}:
                print(line, flush=True)
            """)
        log = tmp_path / 'logs' / 'train.log'
        seen = []

        def parse(line):
            parsed = demo.train_progress(line)
            if parsed is not None:
                seen.append(parsed[0])
                return parsed[0], f'loss {parsed[2]:.3f}'
            return None

        demo.run_stage(
            2,
            'train',
            command,
            str(log),
            3,
            'iters',
            demo.last_of(parse),
            poll_seconds=0.01)
        assert seen[-1] == 3 and log.read_text().count('Iter(train)') == 2
        console = capsys.readouterr().out.rsplit('\r', 1)[-1]
        assert console.startswith('[2/4] train    100%|')
        assert '3/3 iters' in console and 'loss 0.324' in console

    def test_bar_follows_files_of_a_silent_command(self, tmp_path, capsys):
        """The predict and data stages count the files written."""
        out = tmp_path / 'out'
        command = script(
            tmp_path, f"""\
            import os, time
            os.makedirs({str(out)!r})
            for i in range(3):
                open(os.path.join({str(out)!r}, f'{{i}}.png'), 'w').close()
                time.sleep(0.05)
            """)
        demo.run_stage(
            4,
            'predict',
            command,
            str(tmp_path / 'predict.log'),
            3,
            'images',
            lambda lines: (len(list(out.glob('*.png'))), ''),
            poll_seconds=0.01)
        console = capsys.readouterr().out.rsplit('\r', 1)[-1]
        assert console.startswith('[4/4] predict  100%|')
        assert '3/3 images' in console

    def test_failure_names_status_and_log(self, tmp_path):
        command = script(
            tmp_path, """\
            import sys
            print('Traceback: something broke')
            sys.exit(3)
            """)
        log = tmp_path / 'test.log'
        with pytest.raises(demo.StageFailed) as failure:
            demo.run_stage(
                3,
                'test',
                command,
                str(log),
                4,
                'images',
                lambda lines: None,
                poll_seconds=0.01)
        assert (failure.value.stage, failure.value.returncode,
                failure.value.log_path) == ('test', 3, str(log))
        assert log.read_text() == 'Traceback: something broke\n'

    def test_main_reports_the_failed_stage_with_its_log_tail(
            self, tmp_path, monkeypatch, capsys):
        command = script(
            tmp_path, """\
            import sys
            for i in range(40):
                print(f'line {i}')
            print('error: no space left', file=sys.stderr)
            sys.exit(2)
            """)
        log = str(tmp_path / 'logs' / 'data.log')
        monkeypatch.setattr(
            demo, 'stage_data', lambda work_dir: demo.run_stage(
                1, 'data', command, log, 18, 'images', lambda lines: None))
        assert demo.main(['--work-dir', str(tmp_path)]) == 1
        err = capsys.readouterr().err.splitlines()
        assert err[0] == (f'[demo] the data stage failed (exit status 2); '
                          f'the end of {osp.relpath(log, REPO)}:')
        assert err[1:] == [f'line {i}' for i in range(26, 40)] + [
            'error: no space left', '[demo] errors in the log:',
            'error: no space left'
        ]


class TestData:

    def prepared(self, tmp_path, monkeypatch, num_training: int) -> None:
        monkeypatch.setattr(demo, 'ROOT', str(tmp_path))
        data = tmp_path / demo.DATA_ROOT
        data.mkdir(parents=True)
        (data / 'test_list.json').write_text('[{}, {}, {}, {}]')
        (data / 'training_list.json').write_text(
            demo.json.dumps([{}] * num_training))

    def test_prepared_data_is_not_made_again(self, tmp_path, monkeypatch,
                                             capsys):
        self.prepared(tmp_path, monkeypatch, 16)
        demo.stage_data(str(tmp_path / 'work'))
        assert capsys.readouterr().out == (
            '[1/4] data     skipped: data/synthetic_comp1k is already '
            'prepared\n')

    def test_an_earlier_versions_data_is_named(self, tmp_path, monkeypatch,
                                               capsys):
        self.prepared(tmp_path, monkeypatch, 8)
        assert demo.main(['--work-dir', str(tmp_path / 'work')]) == 1
        assert capsys.readouterr().err == (
            '[demo] data/synthetic_comp1k holds 8 training composites, this '
            'demo makes 16: an earlier version made it; delete it (rm -r '
            'data/synthetic_comp1k) and run the demo again\n')


class TestResume:

    def test_max_iters_follows_cfg_options(self):
        default = demo.configured_max_iters([])
        assert default > 0
        assert demo.configured_max_iters(['train_cfg.max_iters=7']) == 7

    def test_checkpoint_iteration(self):
        assert demo.checkpoint_iteration('/w/iter_300.pth') == 300
        with pytest.raises(
                ValueError, match="iter_<N>.pth, but got "
                "'/w/epoch_3.pth'"):
            demo.checkpoint_iteration('/w/epoch_3.pth')

    def test_finished_training_is_skipped(self, tmp_path, capsys):
        checkpoint = str(tmp_path / 'iter_7.pth')
        (tmp_path / 'last_checkpoint').write_text(checkpoint)
        assert demo.stage_train(str(tmp_path),
                                ['train_cfg.max_iters=7']) == checkpoint
        assert capsys.readouterr().out == (
            f'[2/4] train    skipped: {osp.relpath(checkpoint, REPO)} has all '
            '7 iterations\n')

    def test_evaluated_checkpoint_is_not_tested_again(self, tmp_path, capsys):
        metrics = demo.test_metrics(MIM_TEST_LOG)
        (tmp_path / 'test').mkdir()
        (tmp_path / 'test' / 'metrics.json').write_text(
            demo.json.dumps(dict(checkpoint='/w/iter_7.pth', metrics=metrics)))
        assert demo.stage_test(str(tmp_path), '/w/iter_7.pth') == metrics
        assert capsys.readouterr().out == (
            f'[3/4] test     skipped: {osp.relpath("/w/iter_7.pth", REPO)} '
            'was evaluated\n')


def test_summary_lists_metrics_time_and_outputs():
    work_dir = osp.join(REPO, 'work_dirs', 'indexnet_demo')
    text = demo.summary(
        demo.test_metrics(MIM_TEST_LOG), 4, osp.join(work_dir, 'iter_300.pth'),
        osp.join(work_dir, 'predictions'), work_dir, 312.4, 590, (0.2, 1.9))
    out = 'work_dirs/indexnet_demo/predictions'
    assert text.splitlines()[7:] == [
        '  time        5 min 12 s (CPU 9 min 50 s; load average 0.2 at start, '
        '1.9 at end)',
        '  checkpoint  work_dirs/indexnet_demo/iter_300.pth',
        f'  mattes      {out}/<name>.png (cut-outs: <name>_rgba.png)',
        f'  previews    {out}/<name>_preview.png (image | trimap | alpha | '
        'composite)',
        '  logs        work_dirs/indexnet_demo/logs/<stage>.log',
    ]


def test_test_inputs_are_linked_once(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, 'ROOT', str(tmp_path))
    data = tmp_path / demo.DATA_ROOT
    data.mkdir(parents=True)
    samples = [
        dict(
            merged_path=f'Test_set/merged/{stem}.png',
            trimap_path=f'Test_set/trimaps/{stem}.png')
        for stem in ('a_0', 'a_1')
    ]
    (data / 'test_list.json').write_text(demo.json.dumps(samples))
    inputs = tmp_path / 'inputs'
    assert demo.link_test_inputs(str(inputs)) == ['a_0', 'a_1']
    assert demo.link_test_inputs(str(inputs)) == ['a_0', 'a_1']  # again
    for stem in ('a_0', 'a_1'):
        for key, folder in (('merged', 'merged'), ('trimap', 'trimaps')):
            assert os.readlink(inputs / key /
                               f'{stem}.png') == str(data / 'Test_set' /
                                                     folder / f'{stem}.png')
