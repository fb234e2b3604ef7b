// `suanli slurm conf`: the slurm.conf node and partition lines and the
// gres.conf for a suanli fleet (a simulator scenario or a live-fleet
// config): one GRES type per accelerator, node features for origin,
// vendor, site, accelerator and scale-up domain, a default partition with
// every node and one partition per accelerator type. The names are the
// ones the Slurm agent pins jobs with (gres_type, the features).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sched/fleet.h"
#include "util/error.h"

namespace suanli::slurm {

struct ConfOptions {
  std::string partition = "suanli";  // the default partition (every node)
  bool type_partitions = true;       // one partition per accelerator type
  // A test cluster with every slurmd on this host (Debian's
  // multiple-slurmd build): each node gets NodeHostname=127.0.0.1 and
  // Port=base_port + its index.
  std::optional<int> single_host_base_port;
  // gres.conf without File= (Count= only). Debian's gres/gpu plugin drops
  // file-less GPUs, so this is for clusters that provide the files another
  // way (the test harness); by default NVIDIA and Ascend nodes get their
  // driver's device files and other vendors a Count= line to complete.
  bool count_only = false;
  int default_cpus = 0;  // CPUs= for nodes whose pool tracks no CPU (0: leave to slurmd)
  std::string source;    // the fleet file, named in the header comment
};

struct ConfNode {
  std::string name;
  std::string gres;  // gpu:<type>:<count>
  std::vector<std::string> features;
};

struct GeneratedConf {
  std::string slurm_conf;  // GresTypes, NodeName and PartitionName lines
  std::string gres_conf;
  std::vector<ConfNode> nodes;
};

// "ascend-910c" -> "ascend910c", "h200-sxm" -> "h200sxm": lower case
// letters and digits (Slurm splits --gres on ':' and ',').
std::string gres_type(std::string_view accelerator_id);
// A Slurm feature name: "origin_cn", "site_bj_yizhuang" (lower case
// letters, digits and '_').
std::string feature(std::string_view prefix, std::string_view value);
// The device files of `count` accelerators of a vendor for gres.conf's
// File= ("/dev/nvidia[0-7]", "/dev/davinci[0-7]"); empty when unknown.
std::string device_files(std::string_view vendor, int count);
// The features of a fleet node (accelerator, origin, domestic|foreign,
// vendor, site, scale-up domain).
std::vector<std::string> node_features(const Fleet& fleet, const FleetNode& node);

Result<GeneratedConf> generate_conf(const Fleet& fleet, const ConfOptions& options);

}  // namespace suanli::slurm
